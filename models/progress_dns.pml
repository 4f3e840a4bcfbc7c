/*
 * progress_dns.pml -- SPIN twin of models/progress_dns.pap, for cross-checking papcheck's
 * `always_eventually` against SPIN's non-progress cycles (tests/test_liveness_spin.py).
 *
 * A Planner publishes a plan when none is pending; NE Enactors pick the pending plan and apply
 * it, which clears it.  Applying is the progress: the location right after the apply, where an
 * Enactor waits to finish, carries the `progress` label, and it is exactly papcheck's Enactor
 * state `applied` (entered by `apply` only).  So a non-progress cycle of pan is a cycle on which
 * no Enactor is ever at `applied`, which is a violation of
 *     always_eventually progress: exists i in Enactor: Enactor[i] at applied
 * The Enactors are written with control locations, not a phase variable, because SPIN's progress
 * labels mark locations; each location is one papcheck state (idle, applying, applied) and each
 * d_step one papcheck transition, so the twins have the same states.  Nothing ever deadlocks
 * (the Planner or some Enactor can always move), so no stutter question arises.
 *
 * Parameters (cpp macros): NE enactors; NOISE=1 a process that flips a bit for ever (it starves
 * everybody unless fairness is on); RETRY=1 an Enactor may give up a picked plan and go back to
 * idle (a cycle without progress that weak fairness does not break: apply is enabled only half
 * the time).
 *
 *   spin -DNE=2 -DNOISE=1 -a progress_dns.pml
 *   gcc -DNP -DNOREDUCE -o pan pan.c
 *   ./pan -l -f     # non-progress cycles under weak fairness
 *   ./pan -l        # without fairness
 */

#ifndef NE
#define NE 2
#endif
#ifndef NOISE
#define NOISE 0
#endif
#ifndef RETRY
#define RETRY 0
#endif

bool pending;
#if NOISE
bool flip;
#endif

active proctype Planner()
{
end:
	do
	:: d_step { !pending -> pending = true }   /* publish */
	od
}

active [NE] proctype Enactor()
{
end:	/* idle */
	do
	:: d_step { pending -> skip };             /* pick */
		/* applying */
		if
#if RETRY
		:: d_step { true -> skip }             /* give_up: back to idle */
#endif
		:: d_step { pending = false };         /* apply */
progress:	d_step { true -> skip }            /* finish, from `applied` back to idle */
		fi
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
