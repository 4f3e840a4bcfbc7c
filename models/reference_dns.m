-- reference_dns.m -- Rumur (Murphi) twin of the reference DNS plan-apply-purge protocol.
--
-- Ground truth: /work/shared/bench/README.md and handbfs.py (same state
-- variables, same atomic actions, same initial state).  papcheck must agree.
--
-- Template: Rumur has no -D, so bench/peers.py rewrites the five integer
-- constants in the `const` block below (lines "NAME: <int>;") and writes the
-- result to a temporary directory.  The file as committed is a valid model
-- for the defaults (NE=2 NP=1 G=6 K=2 FIX=1) and can be run by hand:
--     rumur --symmetry-reduction off --deadlock-detection off \
--           --output /tmp/m.c reference_dns.m
--     cc -std=c11 -O2 -o /tmp/m /tmp/m.c -lpthread && /tmp/m
--
-- Enactors are a scalarset, so --symmetry-reduction exhaustive counts orbits
-- of states under permutations of enactors; with --symmetry-reduction off the
-- state count equals handbfs's distinct-state count exactly (FIX=1).  Rumur's
-- "rules fired" equals handbfs's transition count.  Deadlock detection must be
-- off: a state where everything is published, applied and purged is fine.

const
  NE: 2;    -- enactors
  NP: 1;    -- endpoints
  G: 6;     -- plan generations
  K: 2;     -- purge age
  FIX: 1;   -- 0 incident, 1 compare-and-set apply, 2 purge skips referenced plans

type
  enactor_t: scalarset(NE);
  endpoint_t: 0..NP-1;
  gen_t: 0..G;
  phase_t: enum { IDLE, APPLYING, PURGING };
  enactor_s: record
    pc: phase_t;
    plan: gen_t;
    nxt: 0..NP;      -- next endpoint to apply to
    old: gen_t;      -- next plan to consider purging
  end;

var
  latest: gen_t;                       -- newest published plan generation
  applied: gen_t;                      -- newest plan some enactor finished applying
  purged: array [gen_t] of boolean;    -- purged[g]: plan g has been purged
  rec: array [endpoint_t] of gen_t;    -- rec[p]: plan endpoint p points to
  en: array [enactor_t] of enactor_s;

startstate "init"
begin
  latest := 1;
  applied := 1;
  for g: gen_t do purged[g] := false; endfor;
  for p: endpoint_t do rec[p] := 1; endfor;
  for e: enactor_t do
    en[e].pc := IDLE; en[e].plan := 0; en[e].nxt := 0; en[e].old := 0;
  endfor;
end;

-- planner publish: latest < G -> latest += 1
rule "publish" latest < G ==>
begin
  latest := latest + 1;
end;

ruleset e: enactor_t do

  -- pick (idle): latest > applied -> plan = latest; next = 0; old = 0; go applying
  rule "pick" en[e].pc = IDLE & latest > applied ==>
  begin
    en[e].plan := latest; en[e].nxt := 0; en[e].old := 0; en[e].pc := APPLYING;
  end;

  -- apply (applying): next < NP -> record[next] = plan (FIX 1: only if newer); next += 1
  rule "apply" en[e].pc = APPLYING & en[e].nxt < NP ==>
  begin
    if FIX != 1 | en[e].plan > rec[en[e].nxt] then
      rec[en[e].nxt] := en[e].plan;
    endif;
    en[e].nxt := en[e].nxt + 1;
  end;

  -- finish (applying): next == NP -> applied = max(applied, plan); next = 0; old = 1; go purging
  rule "finish" en[e].pc = APPLYING & en[e].nxt = NP ==>
  begin
    if en[e].plan > applied then applied := en[e].plan; endif;
    en[e].nxt := 0; en[e].old := 1; en[e].pc := PURGING;
  end;

  -- purge (purging): old + K < plan -> purged += {old} (FIX 2: only if unreferenced); old += 1
  rule "purge" en[e].pc = PURGING & en[e].old + K < en[e].plan ==>
  begin
    if FIX != 2 | !(exists p: endpoint_t do rec[p] = en[e].old endexists) then
      purged[en[e].old] := true;
    endif;
    en[e].old := en[e].old + 1;
  end;

  -- done (purging): old + K >= plan -> plan = 0; old = 0; go idle
  rule "done" en[e].pc = PURGING & en[e].old + K >= en[e].plan ==>
  begin
    en[e].plan := 0; en[e].old := 0; en[e].pc := IDLE;
  end;

endruleset;

invariant "every record points to a plan that is not purged"
  forall p: endpoint_t do !purged[rec[p]] endforall;
