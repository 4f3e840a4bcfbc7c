/*
 * reference_dns_fine.pml -- SPIN twin of specs/reference_dns_fine.pap, the
 * reference DNS protocol (compare-and-set apply) at statement granularity.
 *
 * Parameters (override with  spin -a -DNE=3 -DNP=2 -DG=6 -DK=2 ...):
 *   NE  enactors (ENACTORS)      NP  endpoints (ENDPOINTS)
 *   G   plan generations (PLANS) K   purge age (PURGE_AGE)
 * (FIX, which bench/peers.py always passes, is ignored: this is the FIX = 1
 * protocol.)
 *
 * Same atomicity as the papcheck spec: every papcheck transition is exactly
 * one SPIN transition -- one Promela statement, or one d_step when the
 * papcheck step has a guard and an effect or several assignments -- and
 * every papcheck control state of the Enactor is exactly one control
 * location (a label) of the proctype.  The enactor's own variables cand,
 * plan, next and old are local to the proctype, the shared ones global, so
 * SPIN's partial-order reduction sees the local steps (begin, more,
 * finished, advance, begin_cleanup, old_enough, done, next_plan) as safe,
 * exactly the steps papcheck's footprints find independent of every other
 * instance.  The jumps (goto) are not transitions: spin -a folds them into
 * the edge before them.
 *
 * With pan compiled with -DNOREDUCE, "states, stored" equals papcheck's
 * `--no-por --no-symmetry` distinct-state count exactly: SPIN's state is the
 * globals plus, per process, its control location and locals, in bijection
 * with papcheck's (shared variables, control state and variables of every
 * instance).  SPIN's dead-variable elimination may zero a local where it is
 * dead (cand in `starting`, where papcheck keeps cand == plan); the dead
 * value is a function of the rest of the state, so the count is unchanged.
 *
 * The invariant (every endpoint's record points to a plan that is not
 * purged) is asserted inside the only two d_steps that change record or
 * purged (apply, purge), with a `hidden` loop index that is not part of the
 * state vector: no monitor process, so the state count is not changed.
 * Every state has a successor (an idle enactor can always read `latest`),
 * so there are no end states to label in the enactors.
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

byte latest = 1;          /* newest published plan generation          */
byte applied = 1;         /* newest plan some enactor finished applying */
bool purged[G + 1];       /* purged[g]: plan g has been purged          */
byte record[NP] = 1;      /* record[e]: plan endpoint e points to       */

hidden byte i;            /* scratch loop index, not in the state vector */

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
	:: d_step { latest < G -> latest++ }          /* publish */
	od
}

active [NE] proctype Enactor()
{
	byte cand = 0;        /* the newest plan it saw           */
	byte plan = 0;        /* the plan it applies              */
	byte next = 0;        /* the next endpoint to update      */
	byte old = 0;         /* the next plan its clean-up looks at */

idle:
	cand = latest;                                        /* read_latest: shared read */
checking:
	if
	:: d_step { cand > applied -> plan = cand }           /* newer: shared read */
	:: d_step { cand <= applied -> cand = 0 }; goto idle  /* stale: shared read */
	fi;
starting:
	d_step { cand = 0; next = 0 };                        /* begin: local */
applying:
	if
	:: next < NP                                          /* more: local */
	:: d_step { next == NP -> next = 0 }; goto recording  /* finished: local */
	fi;
writing:
	d_step {                                              /* apply: shared CAS */
		if
		:: plan > record[next] -> record[next] = plan
		:: else -> skip
		fi;
		CHECK_INVARIANT
	};
advancing:
	next++;                                               /* advance: local */
	goto applying;
recording:
	applied = (plan > applied -> plan : applied);         /* record_applied: shared */
cleaning:
	old = 1;                                              /* begin_cleanup: local */
purging:
	if
	:: old + K < plan                                     /* old_enough: local */
	:: d_step { old + K >= plan -> plan = 0; old = 0 }; goto idle  /* done: local */
	fi;
deleting:
	d_step { purged[old] = true; CHECK_INVARIANT };       /* purge: shared */
purge_advancing:
	old++;                                                /* next_plan: local */
	goto purging
}
