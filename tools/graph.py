"""Write ``docs/dialog-graph.md``: every flow of the content drawn as a Mermaid graph, made from
the content itself (``make graph``), as aiogram-dialog's ``render_transitions`` draws its
dialogs. A test makes it again and compares, so the drawing cannot drift from the content.

Each node is a box with its id and kind; an arrow is where answering it leads (labelled with
the option that leads there, when it is not the node's own ``next``); a dotted arrow is a
node passed over (what it ``requires``, or ``only_if``/``unless`` a condition).
"""

from __future__ import annotations

import sys
from pathlib import Path

from dialogs import load_script
from dialogs.nodekinds import kind_of
from dialogs.script import END_TARGETS, Node, Script

PAGE = Path(__file__).resolve().parent.parent / "docs" / "dialog-graph.md"
HEADER = """# The dialog, drawn from its content

Each flow of `dialogs/content/` as it is now (`make graph` draws this page again; a test fails
when it is out of date). A box is a node — its id and kind; an arrow is where answering leads,
labelled with the choice that leads there when it is not the node's own next step; a dotted
arrow is where a node that is passed over leads (a condition it needs, or an answer it
requires). `@end` closes the flow; `@stop` stops it at the person's wish.
"""


def _id(node_id: str) -> str:
    return node_id.replace(".", "_").replace("@", "at_")


def _label(text: str) -> str:
    return text.replace('"', "'")[:40]


def _edges(node: Node) -> list[str]:
    edges = []
    if node.requires or node.only_if or node.unless or node.judging:
        edges.append(f"  {_id(node.id)} -.-> {_id(node.next)}")
    else:
        edges.append(f"  {_id(node.id)} --> {_id(node.next)}")
    if node.next_new:
        edges.append(f'  {_id(node.id)} -- "someone new" --> {_id(node.next_new)}')
    seen: set[tuple[str, str | None]] = {(node.next, None)}
    for variant in node.variants():
        for option in variant.options:
            for target in (option.next, option.then):
                if target and (target, option.id) not in seen:
                    seen.add((target, option.id))
                    edges.append(f'  {_id(node.id)} -- "{_label(option.label)}" --> {_id(target)}')
    return edges


def graph(script: Script) -> str:
    parts = [HEADER]
    for flow in sorted(script.flows.values(), key=lambda f: f.id):
        nodes = [n for n in script.nodes.values() if n.flow == flow.id]
        lines = ["```mermaid", "flowchart TD"]
        for node in nodes:
            lines.append(f'  {_id(node.id)}["{node.id}<br/><i>{kind_of(node).name}</i>"]')
        targets = {t for n in nodes for t in (n.next, n.next_new) if t} | {
            t for n in nodes for v in n.variants() for o in v.options for t in (o.next, o.then) if t
        }
        for end in sorted(END_TARGETS & targets):
            lines.append(f"  {_id(end)}(({end}))")
        for node in nodes:
            lines.extend(_edges(node))
        lines.append("```")
        parts.append(f"## {flow.title} (`/{flow.id}`)\n\n" + "\n".join(lines) + "\n")
    return "\n".join(parts)


def main() -> int:
    page = graph(load_script())
    if "--check" in sys.argv[1:]:
        if not PAGE.exists() or PAGE.read_text(encoding="utf-8") != page:
            print(f"{PAGE} is out of date: run make graph", file=sys.stderr)
            return 1
        return 0
    PAGE.write_text(page, encoding="utf-8")
    print(f"wrote {PAGE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
