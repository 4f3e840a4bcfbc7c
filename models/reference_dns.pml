/*
 * reference_dns.pml -- SPIN twin of the reference DNS plan-apply-purge protocol.
 *
 * Ground truth: /work/shared/bench/README.md and handbfs.py (same state
 * variables, same atomic actions, same initial state).  papcheck must agree.
 *
 * Parameters (override with  spin -a -DNE=3 -DNP=2 -DG=6 -DK=2 -DFIX=1 ...):
 *   NE  enactors            NP  endpoints        G  plan generations
 *   K   purge age           FIX 0 = incident, 1 = compare-and-set apply,
 *                               2 = purge skips plans a record points to
 *
 * Structure, chosen so that pan's "states, stored" (compiled with -DNOREDUCE)
 * equals handbfs's distinct-state count EXACTLY:
 *   - every protocol action is one guarded d_step, i.e. one SPIN transition;
 *   - each process is a single `do` loop whose only control location is the
 *     loop head, so process program counters carry no information;
 *   - the enactor's phase/plan/next/old are process-local variables that are
 *     reset exactly as in handbfs (idle => plan = next = old = 0, ...), so
 *     SPIN states and handbfs tuples are in bijection;
 *   - the invariant is asserted inside the two d_steps that can break it
 *     (apply writes a record, purge marks a plan purged), using a `hidden`
 *     loop counter that is not part of the state vector.  No monitor process
 *     or never claim is needed, so the state count is not changed.
 *   - the loop heads carry `end` labels: a state where no action is enabled
 *     (everything published, applied and purged) is a valid end state.
 *
 * With partial-order reduction (pan compiled without -DNOREDUCE) fewer
 * states are stored; the verdict is the same.  "transitions" reported by pan
 * is stored+matched, i.e. handbfs's transition count + 1 (pan counts the
 * initial state as stored without a transition leading to it).
 */

#ifndef NE
#define NE 2
#endif
#ifndef NP
#define NP 1
#endif
#ifndef G
#define G 6
#endif
#ifndef K
#define K 2
#endif
#ifndef FIX
#define FIX 1
#endif

#define IDLE     0
#define APPLYING 1
#define PURGING  2

byte latest = 1;          /* newest published plan generation          */
byte applied = 1;         /* newest plan some enactor finished applying */
bool purged[G + 1];       /* purged[g]: plan g has been purged          */
byte record[NP] = 1;      /* record[e]: plan endpoint e points to       */

hidden byte i;            /* scratch loop index, not in the state vector */

/* invariant: every endpoint's record points to a plan that is not purged */
#define CHECK_INVARIANT \
	i = 0; \
	do \
	:: i < NP -> assert(!purged[record[i]]); i++ \
	:: else -> break \
	od; \
	i = 0

active proctype Planner()
{
end:
	do
	:: d_step { latest < G -> latest++ }
	od
}

active [NE] proctype Enactor()
{
	byte pc = IDLE;
	byte plan = 0;
	byte next = 0;
	byte old = 0;
end:
	do
	/* pick (idle): latest > applied -> plan = latest; next = 0; old = 0 */
	:: d_step { pc == IDLE && latest > applied ->
		plan = latest; next = 0; old = 0; pc = APPLYING }
	/* apply (applying): next < NP -> record[next] = plan; next++ */
	:: d_step { pc == APPLYING && next < NP ->
#if FIX == 1
		if
		:: plan > record[next] -> record[next] = plan
		:: else -> skip
		fi;
#else
		record[next] = plan;
#endif
		next++;
		CHECK_INVARIANT }
	/* finish (applying): next == NP -> applied = max(applied, plan) */
	:: d_step { pc == APPLYING && next == NP ->
		if
		:: plan > applied -> applied = plan
		:: else -> skip
		fi;
		next = 0; old = 1; pc = PURGING }
	/* purge (purging): old + K < plan -> purged += {old}; old++ */
	:: d_step { pc == PURGING && old + K < plan ->
#if FIX == 2
		i = 0;
		do
		:: i < NP && record[i] != old -> i++
		:: else -> break
		od;
		if
		:: i == NP -> purged[old] = true  /* no record points to old */
		:: else -> skip
		fi;
#else
		purged[old] = true;
#endif
		old++;
		CHECK_INVARIANT }
	/* done (purging): old + K >= plan -> go idle */
	:: d_step { pc == PURGING && old + K >= plan ->
		plan = 0; old = 0; pc = IDLE }
	od
}
