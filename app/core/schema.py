"""Building blocks of the API's request models, shared by every feature (pydantic only)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictFloat
from pydantic_core import PydanticCustomError


def _not_a_huge_int(value: object) -> object:
    # Pydantic's finite check converts an int to float first, and 10**309 overflowed there
    # (a 500); such an int is refused as what it is, a number too big to be finite.
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 1e300:
        raise PydanticCustomError("finite_number", "Input should be a finite number")
    return value


# A JSON number: ints are fine, booleans and strings are not, NaN/Infinity/1e309 are not.
Number = Annotated[StrictFloat, BeforeValidator(_not_a_huge_int), Field(allow_inf_nan=False)]


class Strict(BaseModel):
    """A request body that refuses keys it does not know."""

    model_config = ConfigDict(extra="forbid")


class Box(BaseModel):
    """An inclusive pixel rectangle: columns ``x0..x1``, rows ``y0..y1``."""

    x0: int
    y0: int
    x1: int
    y1: int


class ErrorBody(BaseModel):
    status: int
    code: str = Field(description="stable: the front end branches on it")
    message: str = Field(description="for people: what went wrong and what to do")
    details: dict[str, Any]


class ErrorEnvelope(BaseModel):
    """The one shape of every error the API answers."""

    error: ErrorBody
