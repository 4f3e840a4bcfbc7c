/*
 * liveness_dns.pml -- SPIN twin of models/liveness_dns.pap, for cross-checking papcheck's
 * `eventually`, `always_eventually` and `leads_to` verdicts (tests/test_liveness_spin.py).
 *
 * The reference DNS protocol of reference_dns.pml (same variables, same atomic actions, one
 * d_step each), with two optional sources of cycles, so that fairness can matter:
 *   NOISE=1  a Noise process that flips a bit for ever: without fairness it can starve everybody
 *   RETRY=1  an Enactor that has picked a plan may give up before writing and go back to idle
 * The claims read the enactors' control phases by remote reference (Enactor[pid]:pc), so pan must
 * be compiled with -DNOREDUCE (partial-order reduction does not allow remote references).
 *
 * Parameters (cpp macros): NE enactors, NP endpoints, G plan generations, K purge age,
 * FIX (0 incident, 1 compare-and-set apply, 2 purge skips plans a record points to), NOISE, RETRY.
 *
 *   spin -o2 -DNE=2 -DNP=1 -DG=5 -DK=2 -DFIX=1 -DNOISE=1 -a liveness_dns.pml
 *   gcc -O2 -DNOREDUCE -o pan pan.c
 *   ./pan -a -f -N newest      # weak fairness (pan's -f: per process)
 *   ./pan -a -N newest         # no fairness
 *
 * A dead end (no process can move: everything published, applied and purged) is stutter-extended
 * by pan when a claim is checked, as papcheck does.  Compiled with -DSAFETY -DNOCLAIM -DNOREDUCE,
 * pan's "states, stored" equals papcheck's number of states of the twin -- provided spin runs
 * with -o2: no claim reads `purged`, and by default spin hides such write-only variables from
 * the state vector (fewer states, same verdicts).
 */

#ifndef NE
#define NE 2
#endif
#ifndef NP
#define NP 1
#endif
#ifndef G
#define G 5
#endif
#ifndef K
#define K 2
#endif
#ifndef FIX
#define FIX 1
#endif
#ifndef NOISE
#define NOISE 0
#endif
#ifndef RETRY
#define RETRY 0
#endif

#define IDLE     0
#define APPLYING 1
#define PURGING  2

byte latest = 1;          /* newest published plan generation          */
byte applied = 1;         /* newest plan some enactor finished applying */
bool purged[G + 1];       /* purged[g]: plan g has been purged          */
byte record[NP] = 1;      /* record[e]: plan endpoint e points to       */
#if NOISE
bool flip;
#endif

hidden byte i;            /* scratch loop index, not in the state vector */

/* the claims read the enactors' phases by remote reference (pid 0 is the Planner) */
#if NE == 1
#define ALL_IDLE (Enactor[1]:pc == IDLE)
#elif NE == 2
#define ALL_IDLE (Enactor[1]:pc == IDLE && Enactor[2]:pc == IDLE)
#else
#define ALL_IDLE (Enactor[1]:pc == IDLE && Enactor[2]:pc == IDLE && Enactor[3]:pc == IDLE)
#endif

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
	:: d_step { pc == IDLE && latest > applied ->
		plan = latest; next = 0; old = 0; pc = APPLYING }
#if RETRY
	:: d_step { pc == APPLYING && next == 0 -> plan = 0; pc = IDLE }
#endif
	:: d_step { pc == APPLYING && next < NP ->
#if FIX == 1
		if
		:: plan > record[next] -> record[next] = plan
		:: else -> skip
		fi;
#else
		record[next] = plan;
#endif
		next++ }
	:: d_step { pc == APPLYING && next == NP ->
		if
		:: plan > applied -> applied = plan
		:: else -> skip
		fi;
		next = 0; old = 1; pc = PURGING }
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
		i = 0;
#else
		purged[old] = true;
#endif
		old++ }
	:: d_step { pc == PURGING && old + K >= plan ->
		plan = 0; old = 0; pc = IDLE }
	od
}

#if NOISE
active proctype Noise()
{
end:
	do
	:: d_step { flip = !flip }
	od
}
#endif

/* papcheck: eventually newest: applied == PLANS */
ltl newest { <> (applied == G) }
/* papcheck: always_eventually all_idle: forall i in Enactor: Enactor[i] at idle */
ltl all_idle { []<> ALL_IDLE }
/* papcheck: leads_to published: latest == PLANS ~> applied == PLANS */
ltl published { [] ((latest == G) -> <> (applied == G)) }
