"""What a client is: a business (``b2b``) or a consumer (``b2c``)."""

from __future__ import annotations

from typing import Literal, get_args

ClientKind = Literal["b2b", "b2c"]
KINDS: tuple[ClientKind, ...] = get_args(ClientKind)
