"""The results parser on the real formats: the JUnit report and console log of a Ginkgo v2 suite
written with the e2e suite's own reporter options (tests/checks/e2e_suite), run with the focus
and skip of each mode, with failures, with nothing to run and with a failed suite setup."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scs_kaas.checks import conformance_results as results
from scs_kaas.checks.conformance_modes import MODES, ModeName
from tests.checks import e2e_fixture

FAILING = (
    "[sig-network] Services should serve a basic endpoint from pods [Conformance]",
    "[sig-node] Pods should be updated [NodeConformance] [Conformance]",
)


def _mode_run(suite: Path, folder: Path, mode: ModeName, fail: bool = False) -> e2e_fixture.Run:
    return e2e_fixture.run(suite, folder, MODES[mode].focus, MODES[mode].skip, fail=fail)


def test_a_passing_run_counts_what_ran_and_what_was_skipped(
    e2e_suite: Path, tmp_path: Path
) -> None:
    run = _mode_run(e2e_suite, tmp_path, ModeName.conformance)
    assert run.exit_code == 0
    found = results.parse(run.junit, run.log)
    # 6 [Conformance] specs, one of them [Disruptive]; 2 CSI specs without [Conformance]
    assert (found.passed, found.failed, found.skipped, found.specs) == (5, 0, 3, 8)
    assert found.ok and found.verdict == "all 5 tests passed"
    assert found.notes == ()


def test_failures_are_listed_by_name_with_their_first_line(e2e_suite: Path, tmp_path: Path) -> None:
    run = _mode_run(e2e_suite, tmp_path, ModeName.conformance, fail=True)
    assert run.exit_code != 0
    found = results.parse(run.junit, run.log)
    assert (found.passed, found.failed) == (3, 2)
    assert not found.ok
    assert tuple(f.name for f in found.failures) == FAILING
    assert found.failures[0].message.startswith('[FAILED] service "endpoint-test2" did not answer')
    assert {f.status for f in found.failures} == {"failed"}
    assert found.verdict == "2 of 5 tests failed"


def test_a_run_where_no_test_ran_fails_although_the_suite_said_success(
    e2e_suite: Path, tmp_path: Path
) -> None:
    run = e2e_fixture.run(e2e_suite, tmp_path, focus="NoSuchTest")
    assert run.exit_code == 0 and "SUCCESS!" in run.log  # what the runner alone would accept
    found = results.parse(run.junit, run.log)
    assert found.ran == 0 and found.skipped == 8
    assert not found.ok
    assert "no test ran" in found.verdict


def test_a_failed_suite_setup_fails_the_run(e2e_suite: Path, tmp_path: Path) -> None:
    run = e2e_fixture.run(e2e_suite, tmp_path, setup_fail=True)
    found = results.parse(run.junit, run.log)
    assert found.ran == 0 and not found.ok
    assert [f.name for f in found.setup_failures] == ["[SynchronizedBeforeSuite]"]
    assert "1 of 3 nodes are not schedulable" in found.setup_failures[0].message
    assert found.verdict == "the suite's setup failed"


@pytest.mark.parametrize("mode", list(ModeName))
def test_each_mode_selects_what_r1_selected(
    mode: ModeName, e2e_suite: Path, tmp_path: Path
) -> None:
    found = results.parse(_mode_run(e2e_suite, tmp_path, mode).junit, None)
    expected = {
        ModeName.quick: 1,  # the one pod test
        ModeName.conformance: 5,  # [Conformance] but not [Disruptive]
        ModeName.certified_conformance: 6,  # every [Conformance] spec, the disruptive one too
        ModeName.storage: 0,  # the stand-in has no "Storage" spec: a failed run
        ModeName.csi: 1,  # CSI, the [Disruptive] one skipped
    }
    assert found.ran == expected[mode]
    assert found.ok is (expected[mode] > 0)


def test_the_log_alone_gives_counts_and_failed_names(e2e_suite: Path, tmp_path: Path) -> None:
    """A run stopped before the report was written leaves only e2e.log."""
    run = _mode_run(e2e_suite, tmp_path, ModeName.conformance, fail=True)
    found = results.parse(None, run.log)
    assert (found.passed, found.failed, found.skipped, found.specs) == (3, 2, 3, 8)
    assert found.source == "e2e.log"
    assert tuple(f.name for f in found.failures) == FAILING
    empty = results.parse(None, e2e_fixture.run(e2e_suite, tmp_path / "0", focus="None").log)
    assert empty.ran == 0 and not empty.ok
    setup = results.parse(None, e2e_fixture.run(e2e_suite, tmp_path / "s", setup_fail=True).log)
    assert not setup.ok and setup.setup_failures[0].name == "[SynchronizedBeforeSuite]"


def test_a_log_that_disagrees_with_the_report_is_noted(e2e_suite: Path, tmp_path: Path) -> None:
    passing = _mode_run(e2e_suite, tmp_path / "pass", ModeName.conformance)
    failing = _mode_run(e2e_suite, tmp_path / "fail", ModeName.conformance, fail=True)
    found = results.parse(passing.junit, failing.log)
    assert found.ok  # the report decides
    assert found.notes and "e2e.log counts 3 passed and 2 failed" in found.notes[0]


def test_missing_or_broken_results_are_errors_not_passes() -> None:
    with pytest.raises(results.ResultsError, match="no results"):
        results.parse(None, None)
    with pytest.raises(results.ResultsError, match="not valid XML"):
        results.parse("<testsuites><testsuite>", None)
    laughs = '<!DOCTYPE t [<!ENTITY a "aaaa">]><testsuites>&a;</testsuites>'
    with pytest.raises(results.ResultsError, match="DOCTYPE"):
        results.parse(laughs, None)
    with pytest.raises(results.ResultsError, match="root is <html>"):
        results.parse("<html/>", None)
    with pytest.raises(results.ResultsError, match="did not finish"):
        results.parse("", "Running Suite: Kubernetes e2e suite\nWill run 5 of 7 specs\n")


def test_other_junit_writers_are_read_by_their_child_elements() -> None:
    text = (
        '<testsuite tests="3"><testcase name="a"/><testcase name="b"><skipped/></testcase>'
        '<testcase name="c"><error type="panicked" message="boom"/></testcase></testsuite>'
    )
    found = results.parse_junit(text)
    assert (found.passed, found.skipped, found.failed) == (1, 1, 1)
    assert found.failures == (results.FailedTest("c", "panicked", "boom"),)


@given(st.text(max_size=400))
def test_any_text_is_a_summary_or_a_results_error(text: str) -> None:
    for junit, log in ((text, None), (None, text), (text, text)):
        try:
            found = results.parse(junit, log)
        except results.ResultsError:
            continue
        assert not found.ok or (found.ran > 0 and found.failed == 0)


@given(
    st.lists(
        st.sampled_from(["passed", "skipped", "pending", "failed", "timedout", "panicked"]),
        max_size=30,
    )
)
def test_ok_means_something_ran_and_nothing_failed(statuses: list[str]) -> None:
    cases = "".join(
        f'<testcase name="[It] t{i}" status="{status}"></testcase>'
        for i, status in enumerate(statuses)
    )
    found = results.parse_junit(f"<testsuites><testsuite>{cases}</testsuite></testsuites>")
    ran = [s for s in statuses if s not in ("skipped", "pending")]
    assert found.ran == len(ran)
    assert found.ok is (bool(ran) and set(ran) <= {"passed"})
    assert len(found.failures) == len([s for s in ran if s != "passed"])
