"""What a faithfulness or sanity request may say: numbers as JSON numbers (not booleans, not
strings), a class as a number or a string, and errors that repeat only a short excerpt of
what was sent."""

from __future__ import annotations

import re

import pytest

from tests.conftest import assert_error

STRICT_NUMBERS = [
    ({"k": True, "methods": ["scorecam"], "stage": "stem"}, "k", "True"),
    ({"k": "16", "methods": ["scorecam"], "stage": "stem"}, "k", "'16'"),
    ({"k": 8.0, "methods": ["scorecam"]}, "k", "8.0"),
    ({"patch": "56", "stride": 56, "methods": ["occlusion"]}, "patch", "'56'"),
    ({"patch": 56, "stride": True, "methods": ["occlusion"]}, "stride", "True"),
    ({"patch": 56.0, "stride": 56, "methods": ["occlusion"]}, "patch", "56.0"),
    ({"class": False}, "class", "False"),
]


@pytest.mark.parametrize("body,field,got", STRICT_NUMBERS)
def test_a_number_must_be_a_json_number(client, image_id, body, field, got):
    """Each was accepted as the number it looks like (``true`` became 1); refused now, and
    the error repeats what was sent, never a number the user did not write."""
    for kind in ("faithfulness", "sanity"):
        err = assert_error(client.post(f"/api/images/{image_id}/{kind}", json=body), 422,
                           "invalid_parameter")
        found = [e for e in err["details"]["errors"] if e["field"] == field]
        assert found and all(e["got"] == got for e in found), err


def test_a_huge_class_number_is_refused_with_an_excerpt(client, image_id):
    """A 4000-digit class came back whole in the message (4 KB)."""
    body = b'{"class": ' + b"1" * 4000 + b"}"
    r = client.post(f"/api/images/{image_id}/faithfulness", content=body,
                    headers={"content-type": "application/json"})
    err = assert_error(r, 422, "invalid_parameter")
    assert err["details"]["field"] == "class" and "999" in err["message"]
    assert len(r.content) < 1000
    assert max(len(run) for run in re.findall(rb"1+", r.content)) <= 60


def test_a_class_out_of_range_in_a_query_repeats_a_short_excerpt(client, image_id):
    for text, shown in (("1000", "not 1000"), ("9" * 40, "not 999999999999... (40 digits)")):
        err = assert_error(client.get(f"/api/images/{image_id}/gradcam",
                                      params={"class": text}), 422, "invalid_parameter")
        assert err["message"].endswith(shown), err["message"]
