"""The results of an e2e run, read from the files the conformance runner copies out of its pod.

`junit_01.xml` is the e2e suite's own report (test/e2e/framework/internal/junit: Ginkgo v2's
JUnit reporter, one <testcase> per spec, named `[It] <full text>`, plus the suite's setup nodes
such as `[SynchronizedBeforeSuite]`; status passed, skipped, pending, failed, timedout,
interrupted, aborted or panicked). `e2e.log` is the suite's console output, whose last lines
say `Ran N of M Specs` and `SUCCESS!`/`FAIL! -- P Passed | F Failed | ...`; it is the fallback
when a run ended before the report was written.

A run passes only when tests ran and none failed (peers check `tests > 0` and `failures = 0`):
a focus that matched nothing, or a suite whose setup failed so that nothing ran, is a failure.
Pure: text in, a summary out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from xml.etree import ElementTree

from scs_kaas.errors import KaasError

# Ginkgo's leaf node types other than It: the suite's setup and reporting nodes.
_SUITE_NODES = (
    "[BeforeSuite]",
    "[AfterSuite]",
    "[SynchronizedBeforeSuite]",
    "[SynchronizedAfterSuite]",
    "[ReportBeforeSuite]",
    "[ReportAfterSuite]",
    "[DeferCleanup (Suite)]",
)
_NOT_RUN = {"skipped", "pending"}
_MESSAGE_CHARS = 300
_RAN = re.compile(r"^Ran (\d+) of (\d+) Specs? in ", re.MULTILINE)
_VERDICT = re.compile(r"^(?:SUCCESS|FAIL)! .*$", re.MULTILINE)
_COUNTS = re.compile(r"(\d+) Passed \| (\d+) Failed \| (\d+) Pending \| (\d+) Skipped")
_FAILED_LINE = re.compile(r"^\s*\[(?:FAIL|TIMEDOUT|PANICKED|INTERRUPTED)\] (.+?)\s*$", re.MULTILINE)


class ResultsError(KaasError):
    """The results cannot be read: missing, not the e2e suite's format."""


@dataclass(frozen=True)
class FailedTest:
    name: str
    status: str  # failed, timedout, panicked, ...
    message: str = ""  # the first line of the failure, shortened


@dataclass(frozen=True)
class Results:
    passed: int
    failed: int
    skipped: int
    specs: int  # in the suite, run or not
    failures: tuple[FailedTest, ...] = ()
    setup_failures: tuple[FailedTest, ...] = ()  # failed suite nodes (nothing may have run)
    source: str = "junit_01.xml"
    notes: tuple[str, ...] = field(default=())

    @property
    def ran(self) -> int:
        return self.passed + self.failed

    @property
    def ok(self) -> bool:
        return self.ran > 0 and self.failed == 0 and not self.setup_failures

    @property
    def verdict(self) -> str:
        if self.setup_failures:
            return "the suite's setup failed"
        if self.failed:
            return f"{self.failed} of {self.ran} tests failed"
        if self.ran == 0:
            return "no test ran (the focus matched nothing, or the run stopped first)"
        return f"all {self.ran} tests passed"


def parse_junit(text: str) -> Results:
    """The summary of the e2e suite's JUnit report."""
    if "<!DOCTYPE" in text or "<!ENTITY" in text:
        # Ginkgo writes neither; refusing them leaves no entity to expand (billion laughs).
        raise ResultsError("junit_01.xml has a DOCTYPE: it is not the e2e suite's report")
    try:
        root = ElementTree.fromstring(text)  # noqa: S314 (no DTD: see above)
    except ElementTree.ParseError as error:
        raise ResultsError(f"junit_01.xml is not valid XML ({error})") from error
    if root.tag == "testsuites":
        suites = root.findall("testsuite")
    elif root.tag == "testsuite":
        suites = [root]
    else:
        raise ResultsError(f"junit_01.xml is not a JUnit report (its root is <{root.tag}>)")
    passed = failed = skipped = 0
    failures: list[FailedTest] = []
    setup: list[FailedTest] = []
    for suite in suites:
        for case in suite.findall("testcase"):
            name = case.get("name") or "(unnamed)"
            status = _status(case)
            if name.startswith(_SUITE_NODES):
                if status not in _NOT_RUN and status != "passed":
                    setup.append(_failed(case, name, status))
                continue
            if status in _NOT_RUN:
                skipped += 1
            elif status == "passed":
                passed += 1
            else:
                failed += 1
                failures.append(_failed(case, name.removeprefix("[It] "), status))
    return Results(
        passed, failed, skipped, passed + failed + skipped, tuple(failures), tuple(setup)
    )


def parse_log(text: str) -> Results:
    """The summary the suite prints last (`e2e.log`), for a run without a JUnit report."""
    verdicts = list(_VERDICT.finditer(text))
    if not verdicts:
        raise ResultsError(
            "e2e.log has no summary line ('SUCCESS!' or 'FAIL! -- N Passed | N Failed ...'):"
            " the run did not finish"
        )
    last = verdicts[-1]
    ran = list(_RAN.finditer(text))
    names = [_log_name(m.group(1)) for m in _FAILED_LINE.finditer(text[: last.start()])]
    counts = _COUNTS.search(last.group(0))
    if counts is None:
        # "FAIL! -- A BeforeSuite node failed so all tests were skipped."
        detail = last.group(0).partition("--")[2].strip() or last.group(0).strip()
        setup = (FailedTest(names[-1] if names else "the suite's setup", "failed", detail),)
        specs = int(ran[-1].group(2)) if ran else 0
        return Results(0, 0, specs, specs, (), setup, "e2e.log")
    passed, failed, pending, skipped = (int(counts.group(i)) for i in range(1, 5))
    specs = int(ran[-1].group(2)) if ran else passed + failed + pending + skipped
    failures = tuple(FailedTest(name, "failed") for name in dict.fromkeys(names))
    return Results(passed, failed, pending + skipped, specs, failures, (), "e2e.log")


def _log_name(line: str) -> str:
    """`[sig-node] Pods [It] should ...` as the report names it: `[sig-node] Pods should ...`."""
    return " ".join(line.replace("[It] ", "").split())


def parse(junit: str | None, log: str | None) -> Results:
    """From the report when there is one, else from the log; neither is an error."""
    if junit is not None and junit.strip():
        results = parse_junit(junit)
        if log is not None:
            results = _cross_check(results, log)
        return results
    if log is not None and log.strip():
        return parse_log(log)
    raise ResultsError("the run left no results (neither junit_01.xml nor e2e.log)")


def _cross_check(results: Results, log: str) -> Results:
    """A note when the console's count differs from the report's (a report cut short)."""
    try:
        from_log = parse_log(log)
    except ResultsError:
        return results
    if (from_log.passed, from_log.failed) == (results.passed, results.failed):
        return results
    note = (
        f"e2e.log counts {from_log.passed} passed and {from_log.failed} failed;"
        " the summary follows junit_01.xml"
    )
    return Results(
        results.passed,
        results.failed,
        results.skipped,
        results.specs,
        results.failures,
        results.setup_failures,
        results.source,
        (*results.notes, note),
    )


def _status(case: ElementTree.Element) -> str:
    """Ginkgo writes `status`; other JUnit writers only the child elements."""
    written = case.get("status")
    if written:
        return written
    for child in ("failure", "error"):
        found = case.find(child)
        if found is not None:
            return found.get("type") or "failed"
    if case.find("skipped") is not None:
        return "skipped"
    return "passed"


def _failed(case: ElementTree.Element, name: str, status: str) -> FailedTest:
    detail = case.find("failure")
    if detail is None:
        detail = case.find("error")
    text = ""
    if detail is not None:
        text = detail.get("message") or (detail.text or "")
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    if len(first) > _MESSAGE_CHARS:
        first = first[: _MESSAGE_CHARS - 3] + "..."
    return FailedTest(name, status, first)
