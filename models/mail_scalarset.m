-- Twin of tests/test_symmetry_data.py MAIL (issue 18): instance ids as data. `none` is Murphi's
-- undefined; a mailbox chan[W, 1] is a slot and a count (N is rewritten by the test).
const N: 3;
type w: scalarset(N);
var leader: w;
var boxlen: array[w] of 0..1;
var boxm: array[w] of w;
var peer: array[w] of w;
var pc: array[w] of enum { idle, asking };
ruleset i: w do
  ruleset j: w do
    rule "pick" pc[i] = idle & j != i & isundefined(peer[i]) ==> begin peer[i] := j; pc[i] := asking; end;
  endruleset;
  rule "elect" pc[i] = idle & isundefined(leader) ==> begin leader := i; end;
  rule "hear" pc[i] = idle & boxlen[i] > 0 & isundefined(peer[i]) ==>
  begin peer[i] := boxm[i]; undefine boxm[i]; boxlen[i] := 0; pc[i] := asking; end;
  rule "ask" pc[i] = asking & !isundefined(peer[i]) & boxlen[peer[i]] < 1 ==>
  begin boxm[peer[i]] := i; boxlen[peer[i]] := 1; undefine peer[i]; pc[i] := idle; end;
  rule "quit" pc[i] = asking ==>
  begin
    undefine peer[i];
    if !isundefined(leader) then if leader = i then undefine leader; endif; endif;
    pc[i] := idle;
  end;
endruleset;
startstate begin undefine leader; undefine boxm; undefine peer; for i: w do boxlen[i] := 0; pc[i] := idle; endfor; end;
invariant "inv" isundefined(leader) | pc[leader] = idle | pc[leader] = asking;
