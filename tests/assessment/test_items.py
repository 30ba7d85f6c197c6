"""Each question type: definition checks, answer shapes, grading and its edge cases."""

from __future__ import annotations

import random
from typing import Any

import pytest

from lms.assessment.items import TYPES, AnswerError, get_type
from lms.assessment.items.base import normalise_text, to_decimal


def definition(type_key: str, **fields: Any) -> dict[str, Any]:
    result, errors = get_type(type_key).validate_definition(fields)
    assert errors == []
    return result


def graded(type_key: str, defn: dict[str, Any], answer: Any) -> float:
    item = get_type(type_key)
    if answer is None:
        return item.score(defn, None)
    return item.score(defn, item.validate_answer(defn, answer))


OPTIONS = [
    {"id": "a", "text": "A", "correct": True},
    {"id": "b", "text": "B"},
    {"id": "c", "text": "C", "correct": True},
    {"id": "d", "text": "D"},
]


def test_registry_has_every_type_once() -> None:
    assert set(TYPES) == {
        "single_choice",
        "multiple_choice",
        "true_false",
        "fill_in",
        "numeric",
        "matching",
        "ordering",
    }
    assert {t.interaction_type for t in TYPES.values()} == {
        "choice",
        "true-false",
        "fill-in",
        "numeric",
        "matching",
        "sequencing",
    }


# --- single choice -----------------------------------------------------------------------


def test_single_choice_scores_only_the_correct_option() -> None:
    defn = definition("single_choice", options=[OPTIONS[0], OPTIONS[1]])
    assert graded("single_choice", defn, "a") == 1.0
    assert graded("single_choice", defn, "b") == 0.0
    assert graded("single_choice", defn, None) == 0.0


def test_single_choice_needs_exactly_one_correct_option() -> None:
    _, errors = get_type("single_choice").validate_definition({"options": OPTIONS})
    assert errors == [(("options",), "A single-choice question needs exactly one correct option.")]


def test_single_choice_rejects_unknown_option_and_wrong_shape() -> None:
    defn = definition("single_choice", options=[OPTIONS[0], OPTIONS[1]])
    for bad in ("z", ["a"], 1, {"a": True}):
        with pytest.raises(AnswerError):
            get_type("single_choice").validate_answer(defn, bad)


def test_choice_options_report_duplicate_ids_and_missing_text() -> None:
    _, errors = get_type("single_choice").validate_definition(
        {"options": [{"id": "a", "text": "A", "correct": True}, {"id": "a"}, "x"]}
    )
    paths = [path for path, _ in errors]
    assert ("options", 1, "id") in paths
    assert ("options", 1, "text") in paths
    assert ("options", 2) in paths


# --- multiple choice ---------------------------------------------------------------------


def test_multiple_choice_all_or_nothing() -> None:
    defn = definition("multiple_choice", options=OPTIONS)
    assert graded("multiple_choice", defn, ["a", "c"]) == 1.0
    assert graded("multiple_choice", defn, ["c", "a", "a"]) == 1.0  # order and repeats
    assert graded("multiple_choice", defn, ["a"]) == 0.0
    assert graded("multiple_choice", defn, ["a", "c", "b"]) == 0.0
    assert graded("multiple_choice", defn, []) == 0.0


def test_multiple_choice_partial_credit_subtracts_wrong_picks() -> None:
    defn = definition("multiple_choice", options=OPTIONS, scoring="partial")
    assert graded("multiple_choice", defn, ["a", "c"]) == 1.0
    assert graded("multiple_choice", defn, ["a"]) == 0.5
    assert graded("multiple_choice", defn, ["a", "b"]) == 0.0
    assert graded("multiple_choice", defn, ["a", "b", "c"]) == 0.5
    assert graded("multiple_choice", defn, ["a", "b", "c", "d"]) == 0.0  # ticking all earns nothing
    assert graded("multiple_choice", defn, ["b", "d"]) == 0.0  # never negative


def test_multiple_choice_answer_must_be_a_list_of_known_ids() -> None:
    defn = definition("multiple_choice", options=OPTIONS)
    with pytest.raises(AnswerError):
        get_type("multiple_choice").validate_answer(defn, "a")
    with pytest.raises(AnswerError, match="Unknown option"):
        get_type("multiple_choice").validate_answer(defn, ["a", "x"])
    assert get_type("multiple_choice").validate_answer(defn, ["c", "a", "c"]) == ["a", "c"]


def test_multiple_choice_rejects_unknown_scoring() -> None:
    _, errors = get_type("multiple_choice").validate_definition(
        {"options": OPTIONS, "scoring": "x"}
    )
    assert errors == [(("scoring",), "'scoring' must be all_or_nothing or partial.")]


# --- true / false ------------------------------------------------------------------------


def test_true_false() -> None:
    defn = definition("true_false", answer=False)
    assert graded("true_false", defn, False) == 1.0
    assert graded("true_false", defn, "false") == 1.0
    assert graded("true_false", defn, True) == 0.0
    assert graded("true_false", defn, None) == 0.0
    with pytest.raises(AnswerError):
        get_type("true_false").validate_answer(defn, 0)


def test_true_false_needs_a_boolean_answer() -> None:
    _, errors = get_type("true_false").validate_definition({"answer": "yes"})
    assert errors == [(("answer",), "'answer' must be true or false.")]


# --- fill in -----------------------------------------------------------------------------


def test_fill_in_is_case_insensitive_by_default_and_trims_spaces() -> None:
    defn = definition("fill_in", answers=["VNeID", "VN eID"])
    assert graded("fill_in", defn, "vneid") == 1.0
    assert graded("fill_in", defn, "  VN   eID ") == 1.0
    assert graded("fill_in", defn, "VNe") == 0.0


def test_fill_in_case_sensitive() -> None:
    defn = definition("fill_in", answers=["OTP"], case_sensitive=True)
    assert graded("fill_in", defn, "OTP") == 1.0
    assert graded("fill_in", defn, "otp") == 0.0


def test_fill_in_diacritics_matter_unless_ignored() -> None:
    strict = definition("fill_in", answers=["Hải Phòng"])
    assert graded("fill_in", strict, "hải phòng") == 1.0
    assert graded("fill_in", strict, "hai phong") == 0.0
    loose = definition("fill_in", answers=["Đồng Hới"], ignore_diacritics=True)
    assert graded("fill_in", loose, "dong hoi") == 1.0
    assert graded("fill_in", loose, "DONG HOI") == 1.0
    assert graded("fill_in", loose, "Đồng Hới") == 1.0
    assert graded("fill_in", loose, "dong ha") == 0.0


def test_fill_in_accepts_decomposed_unicode() -> None:
    """Phone keyboards may send "ả" as "a" + combining hook; it is the same answer."""
    import unicodedata

    defn = definition("fill_in", answers=["Hải"])
    assert graded("fill_in", defn, unicodedata.normalize("NFD", "Hải")) == 1.0


def test_fill_in_empty_answer_scores_zero_and_wrong_shape_is_refused() -> None:
    defn = definition("fill_in", answers=["a"])
    assert graded("fill_in", defn, "   ") == 0.0
    with pytest.raises(AnswerError):
        get_type("fill_in").validate_answer(defn, ["a"])
    with pytest.raises(AnswerError):
        get_type("fill_in").validate_answer(defn, "x" * 501)


def test_normalise_text_maps_d_with_stroke() -> None:
    assert normalise_text("Điện thoại ĐỎ", ignore_diacritics=True) == "dien thoai do"
    assert normalise_text("Điện", ignore_diacritics=True, case_sensitive=True) == "Dien"


# --- numeric -----------------------------------------------------------------------------


def test_numeric_tolerance_bounds_are_inclusive() -> None:
    defn = definition("numeric", answer=42.5, tolerance=0.5)
    assert graded("numeric", defn, 42.5) == 1.0
    assert graded("numeric", defn, 42) == 1.0
    assert graded("numeric", defn, 43.0) == 1.0
    assert graded("numeric", defn, 43.01) == 0.0
    assert graded("numeric", defn, 41.99) == 0.0


def test_numeric_compares_decimals_not_binary_floats() -> None:
    defn = definition("numeric", answer=0.3, tolerance=0.1)
    assert graded("numeric", defn, 0.4) == 1.0  # 0.4 - 0.3 is 0.10000000000000003 in floats
    assert graded("numeric", defn, 0.2) == 1.0


def test_numeric_exact_without_tolerance_and_vietnamese_decimal_comma() -> None:
    defn = definition("numeric", answer=60)
    assert graded("numeric", defn, "60") == 1.0
    assert graded("numeric", defn, "60,0") == 1.0
    assert graded("numeric", defn, 60.0001) == 0.0
    assert graded("numeric", definition("numeric", answer=2.5), "2,5") == 1.0


def test_numeric_refuses_non_numbers() -> None:
    defn = definition("numeric", answer=1)
    for bad in ("abc", True, [1], float("nan"), "1e999999"):
        with pytest.raises(AnswerError):
            get_type("numeric").validate_answer(defn, bad)


def test_numeric_definition_errors() -> None:
    _, errors = get_type("numeric").validate_definition({"answer": "x", "tolerance": -1})
    assert [p for p, _ in errors] == [("answer",), ("tolerance",)]


def test_to_decimal() -> None:
    assert str(to_decimal(" 1 000,5 ")) == "1000.5"
    assert to_decimal(None) is None


# --- matching ----------------------------------------------------------------------------

PAIRS = [
    {"left": "Cổng DVC", "right": "dichvucong.gov.vn"},
    {"left": "Định danh", "right": "VNeID"},
    {"left": "Thuế", "right": "eTax"},
]


def _matching_answer(defn: dict[str, Any], wrong: int = 0) -> dict[str, str]:
    answer = dict(defn["key"])
    lefts = list(answer)
    for i in range(wrong):
        a, b = lefts[i], lefts[(i + 1) % len(lefts)]
        answer[a], answer[b] = answer[b], answer[a]
    return answer


def test_matching_all_or_nothing_and_partial() -> None:
    defn = definition("matching", pairs=PAIRS)
    assert graded("matching", defn, _matching_answer(defn)) == 1.0
    assert graded("matching", defn, _matching_answer(defn, wrong=1)) == 0.0
    partial = definition("matching", pairs=PAIRS, scoring="partial")
    assert graded("matching", partial, _matching_answer(partial, wrong=1)) == pytest.approx(1 / 3)
    one = {"1": partial["key"]["1"]}
    assert graded("matching", partial, one) == pytest.approx(1 / 3)
    assert graded("matching", partial, {}) == 0.0


def test_matching_ids_do_not_reveal_the_pairs() -> None:
    defn = definition("matching", pairs=PAIRS)
    # Right ids are letters by alphabetical order of the right texts, not pair positions.
    assert defn["key"] == {"1": "a", "2": "c", "3": "b"}
    view = get_type("matching").public_view(
        defn, get_type("matching").present(defn, random.Random(1), shuffle=False), "vi"
    )
    assert "key" not in view
    assert [r["id"] for r in view["right"]] != ["a", "c", "b"]


def test_matching_refuses_unknown_items() -> None:
    defn = definition("matching", pairs=PAIRS)
    with pytest.raises(AnswerError):
        get_type("matching").validate_answer(defn, {"9": "a"})
    with pytest.raises(AnswerError):
        get_type("matching").validate_answer(defn, {"1": "z"})
    with pytest.raises(AnswerError):
        get_type("matching").validate_answer(defn, ["a"])


def test_matching_duplicate_texts_are_errors() -> None:
    _, errors = get_type("matching").validate_definition(
        {"pairs": [{"left": "x", "right": "y"}, {"left": "X", "right": "z"}]}
    )
    assert errors == [(("pairs", 1, "left"), "The same left text appears twice.")]


# --- ordering ----------------------------------------------------------------------------


def test_ordering_all_or_nothing_and_partial() -> None:
    defn = definition("ordering", items=["Chọn thủ tục", "Điền tờ khai", "Nộp hồ sơ"])
    correct = [i["id"] for i in defn["items"]]
    assert graded("ordering", defn, correct) == 1.0
    assert graded("ordering", defn, list(reversed(correct))) == 0.0
    partial = definition("ordering", items=["A1", "B2", "C3", "D4"], scoring="partial")
    ids = [i["id"] for i in partial["items"]]
    assert graded("ordering", partial, [ids[0], ids[1], ids[3], ids[2]]) == 0.5


def test_ordering_answer_must_be_a_permutation() -> None:
    defn = definition("ordering", items=["x", "y", "z"])
    ids = [i["id"] for i in defn["items"]]
    for bad in (ids[:2], [*ids, ids[0]], "abc", [1, 2, 3]):
        with pytest.raises(AnswerError):
            get_type("ordering").validate_answer(defn, bad)


def test_ordering_is_never_presented_in_the_correct_order() -> None:
    defn = definition("ordering", items=["z first", "y second"])
    correct = [i["id"] for i in defn["items"]]
    for seed in range(30):
        order = get_type("ordering").present(defn, random.Random(seed), shuffle=False)["order"]
        assert order != correct
        assert sorted(order) == sorted(correct)


# --- xAPI --------------------------------------------------------------------------------


def test_xapi_interactions_and_responses_use_the_spec_formats() -> None:
    mc = definition("multiple_choice", options=OPTIONS)
    assert get_type("multiple_choice").to_xapi_interaction(mc, "vi")["correctResponsesPattern"] == [
        "a[,]c"
    ]
    assert get_type("multiple_choice").xapi_response(mc, ["a", "b"]) == "a[,]b"
    tf = definition("true_false", answer=True)
    assert get_type("true_false").xapi_response(tf, True) == "true"
    assert get_type("true_false").to_xapi_interaction(tf, "vi")["interactionType"] == "true-false"
    match = definition("matching", pairs=PAIRS)
    interaction = get_type("matching").to_xapi_interaction(match, "vi")
    assert interaction["correctResponsesPattern"] == ["1[.]a[,]2[.]c[,]3[.]b"]
    assert {s["id"] for s in interaction["source"]} == {"1", "2", "3"}
    assert get_type("matching").xapi_response(match, {"1": "a", "2": "b"}) == "1[.]a[,]2[.]b"
    order = definition("ordering", items=["b", "a"])
    assert get_type("ordering").to_xapi_interaction(order, "vi")["correctResponsesPattern"] == [
        "b[,]a"
    ]
    num = definition("numeric", answer=42.5, tolerance=0.5)
    assert get_type("numeric").to_xapi_interaction(num, "vi")["correctResponsesPattern"] == [
        "42[:]43"
    ]
    fill = definition("fill_in", answers=["OTP"], case_sensitive=True)
    assert get_type("fill_in").to_xapi_interaction(fill, "vi")["correctResponsesPattern"] == [
        "{case_matters=true}OTP"
    ]


@pytest.mark.parametrize("type_key", sorted(TYPES))
def test_public_views_hold_no_key(type_key: str) -> None:
    samples = {
        "single_choice": {"options": [OPTIONS[0], OPTIONS[1]]},
        "multiple_choice": {"options": OPTIONS},
        "true_false": {"answer": True},
        "fill_in": {"answers": ["bí mật"]},
        "numeric": {"answer": 987.6},
        "matching": {"pairs": PAIRS},
        "ordering": {"items": ["một", "hai", "ba"]},
    }
    item = get_type(type_key)
    defn = definition(type_key, **samples[type_key])
    view = item.public_view(defn, item.present(defn, random.Random(3), shuffle=True), "vi")
    text = repr(view)
    for word in ("correct", "answer", "key", "bí mật", "987.6", "tolerance"):
        assert word not in text
