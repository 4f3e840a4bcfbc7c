"""Random protocols (tests/genspec.py) exported and checked by SPIN and Rumur: independent engines
must agree with papcheck on the verdict, every property papcheck decided, the number of states of
the whole unreduced space, and (SPIN) the depth of every shortest counterexample and witness.

Compiling a verifier dominates, so protocols are checked in batches: one pan build per batch
(checker.export.promela.batch_promela) and a few Rumur builds (batch_murphi; Rumur's C grows
faster than linearly, so its batches are smaller), two builds at a time.  The default run checks
BATCHES x PER_BATCH drawn protocols (those the exporter refuses, a `choose` after a write, are
counted and must stay a minority); PAPCHECK_DIFF_BATCHES raises the number of batches.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checker import api
from checker.crosscheck import peers
from checker.export import ExportError
from checker.export.murphi import murphi_parts
from checker.export.promela import promela_parts
from tests.genspec import protocols

PER_BATCH = 14
BATCHES = int(os.environ.get("PAPCHECK_DIFF_BATCHES", "10"))
RUMUR_BATCH = 4

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (peers.available("spin") and peers.available("rumur")),
                       reason="spin, rumur or a C compiler not installed"),
]

TOTALS = {"checked": 0, "refused": 0}


def _exportable(text: str) -> api.Spec | None:
    spec = api.load_text(text)
    try:
        promela_parts(spec.checked)
        murphi_parts(spec.checked)
    except ExportError as e:
        assert "cannot export" in e.diagnostics.render()
        return None
    return spec


@settings(max_examples=BATCHES, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
@given(st.lists(protocols(), min_size=PER_BATCH, max_size=PER_BATCH))
def test_spin_and_rumur_agree_on_random_protocols(texts: list[str]) -> None:
    specs = [s for s in map(_exportable, texts) if s is not None]
    TOTALS["refused"] += len(texts) - len(specs)
    assert len(specs) * 3 >= len(texts) * 2, "the exporter refuses too many generated protocols"
    with ThreadPoolExecutor(2) as pool:
        spin = pool.submit(peers.batch_spin, specs)
        rumur = [pool.submit(peers.batch_rumur, specs[i:i + RUMUR_BATCH]) for i in range(0, len(specs), RUMUR_BATCH)]
        spin_out = spin.result()
        rumur_out = [o for f in rumur for o in f.result()]
    for spec, s_out, r_out in zip(specs, spin_out, rumur_out):
        result = api.check(spec)
        full = peers.full_count(spec)
        for out in (s_out, r_out):
            c = peers.compare(spec, result, out, full, 0.0)
            assert c.agree, (out.tool, c.problems, spec.checked.source.text)
            if not full.model_error and out.model_error is None:
                assert out.states == full.states
        TOTALS["checked"] += 1


def test_at_least_100_protocols_checked() -> None:
    """Runs after the test above (file order): the run covered 100 protocols or more."""
    if TOTALS["checked"] == 0:
        pytest.skip("the differential test did not run (deselected)")
    assert TOTALS["checked"] >= 100, TOTALS
