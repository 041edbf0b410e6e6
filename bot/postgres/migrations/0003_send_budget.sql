-- One send budget per platform shared by every process on the database (issue 14): a token
-- bucket kept as "tokens left at instant at" (seconds of the server's clock, so machines whose
-- clocks differ still agree). Taking a token may leave it below zero: the taker then waits until
-- its turn comes (bot/postgres/budget.py), so the sends of all processes together never go
-- faster than the rate.
CREATE TABLE send_budget (
    platform text             PRIMARY KEY,
    tokens   double precision NOT NULL,
    at       double precision NOT NULL
);
