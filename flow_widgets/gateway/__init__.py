"""The classroom gateway: a whole class generating on one teacher's subscription.

Students' kernels set ``FLOW_API_BASE`` to the gateway and ``USEAPI_TOKEN`` to a per-student
token (``flow-widgets gateway add-student NAME``). The gateway keeps the teacher's token, lets
students reach only the generation part of the API (never ``accounts/*``, captcha providers, or
another student's jobs and media), charges each request against the student's allowance and the
class budget in one PostgreSQL transaction, and queues requests: the next free account slot goes
round-robin across students. State lives in PostgreSQL (``FLOW_LEDGER_URL``) so that several
gateway processes on one database behave as one.

A request that leaves the line is an intent of the same ledger a kernel keeps (one interface,
two backends: :mod:`.intent_ledger` is the PostgreSQL one): each upstream POST an attempt, the
replica working on it its owner, its states along the one transition table.

Modules: :mod:`.schema` (the migrations), :mod:`.store` (the class's books: students, budget,
queue, slots, audit), :mod:`.intent_ledger` (the intents), :mod:`.app` (the ASGI app),
:mod:`.dispatcher` (places queued requests upstream), :mod:`.command` (the CLI).
"""
