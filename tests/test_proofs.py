"""Proofs kept in the repository (issue 13, item 3): real processes on 127.0.0.1, killed, crowded,
starved of disk, fed garbage — and nothing acknowledged is lost.

Marked ``proof`` and left out of the default run (``pytest -m proof`` runs them; ``.ci/run`` does,
after the slow test). Each runs a scenario of ``tests/proofkit`` at a size that keeps them together
within CI's budget (at most 10 minutes on 2 cores) and asserts its figures, which the run prints at
its end ("proof figures"); ``python bench/proofs.py …`` runs the same scenarios longer. Fixtures are
built in ``tmp_path``: nothing here depends on the shipped content.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from .conftest import PROOF_FIGURES
from .proofkit import crash, fulldisk, fuzz, synckill, twoservers

pytestmark = pytest.mark.proof

Report = Callable[[str], None]


@pytest.fixture
def report(request: pytest.FixtureRequest) -> Report:
    """Keep a line of figures for the summary at the end of the run."""
    return request.config.stash.setdefault(PROOF_FIGURES, []).append


def test_sigkill_of_the_whole_server_during_staff_saves_loses_no_acknowledged_save(
    tmp_path: Path, report: Report
) -> None:
    figures = crash.run(tmp_path, saves=200, kills=10)
    report(f"1 server killed during saves: {figures.summary()}")
    assert figures.saves == 200 and figures.kills == 10
    assert figures.refused == {}, figures.refused
    assert figures.acknowledged + figures.unanswered == figures.saves
    assert figures.unanswered <= figures.kills  # only a save in flight when a kill came goes unanswered
    assert figures.lost_on_disk == [] and figures.lost_in_catalog == [] and figures.lost_in_search == []
    assert figures.disagreeing == [], figures.disagreeing
    assert figures.leftovers == [], figures.leftovers
    assert figures.check_status == 0, figures.check_output


def test_sync_and_reindex_killed_at_random_points_converge_and_search_keeps_answering(
    tmp_path: Path, report: Report
) -> None:
    figures = synckill.run(tmp_path, entries=300, kills=8)
    report(f"2 sync/reindex killed: {figures.summary()}")
    assert figures.kills >= 8, figures.by_command
    assert figures.final_status == 0, figures.final_sync
    assert figures.stale == [], figures.stale[:10]
    assert figures.searches > 100 and figures.search_errors == [], figures.search_errors[:10]


def test_two_servers_and_a_sync_loop_with_four_writers_lose_no_update(tmp_path: Path, report: Report) -> None:
    figures = twoservers.run(tmp_path, saves_per_writer=40, writers=4)
    report(f"3 two servers + sync loop + 4 writers: {figures.summary()}")
    assert figures.saves == 160 and figures.no_reply == 0
    assert set(figures.statuses) <= {302, 409}, figures.statuses
    assert figures.acknowledged > 0 and figures.conflicts > 0  # both outcomes were met
    assert figures.lost_updates == [] and figures.phantom_writes == []
    assert figures.locked_mentions == [], figures.locked_mentions[:5]
    assert figures.syncs >= 2 and figures.sync_failures == [], figures.sync_failures[:3]


MOUNT = fulldisk.can_mount()


@pytest.mark.parametrize(
    "method",
    [
        pytest.param("tmpfs", marks=pytest.mark.skipif(not MOUNT, reason="may not mount a tmpfs here")),
        "shim",
    ],
)
@pytest.mark.parametrize("layout", ["both", "data"])
def test_a_full_disk_is_told_corrupts_nothing_and_space_again_recovers(
    tmp_path: Path, report: Report, method: str, layout: str
) -> None:
    figures = fulldisk.run(tmp_path, method=method, layout=layout)
    report(f"4 full disk: {figures.summary()}")
    for save in figures.saves:
        assert save.status in (302, 507), save
        if save.status == 507:
            assert save.said_full and save.kept_text and save.file_unchanged, save
        assert save.status_after == 302, save
        assert save.in_file and save.in_catalog and save.found == [save.slug], save
    assert figures.saves[0].status == 507  # ~1.5 MB to write: it cannot fit
    lines = [line for line in figures.sync_output.splitlines() if line.strip()]
    assert figures.sync_status == 1 and "Traceback" not in figures.sync_output, figures.sync_output
    assert len(lines) == 1 and "磁盘空间不足" in lines[0], lines
    assert figures.pages_while_full == [200, 200, 200, 200]
    assert figures.integrity == "ok" and figures.check_status == 0 and figures.leftovers == []
    assert figures.sync_after == 0, figures.sync_after_output
    assert figures.synced_found == ["p0001"]


def test_garbled_content_files_are_reported_and_never_stop_check_or_sync(tmp_path: Path, report: Report) -> None:
    figures = fuzz.run_content(tmp_path, examples=200)
    report(f"5a content fuzz: {figures.summary()}")
    assert figures.examples == 200
    assert figures.unaccounted == [] and figures.unreported_in_catalog == [] and figures.good_missing == []


def test_fuzzed_query_parameters_and_staff_forms_never_get_a_500(tmp_path: Path, report: Report) -> None:
    figures = fuzz.run_web(tmp_path, public=400, posts=400, scripts=80)
    report(f"5b web fuzz: {figures.summary()}")
    assert len(figures.routes) >= 40 and len(figures.params) >= 15 and len(figures.forms) >= 25
    assert any(form.startswith("/projects/2023/pingyi/rate") for form in figures.forms), figures.forms  # 评议
    assert figures.errors == []
