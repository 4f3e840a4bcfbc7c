-- Twin of tests/test_reductions.py MUTEX: shared data indexed by a scalarset (N is rewritten by the test).
const N: 3;
type node: scalarset(N);
var owner: array[node] of boolean;
var holder: array[node] of boolean;
var last: array[node] of boolean;
var pc: array[node] of enum { idle, crit };
ruleset i: node do
  rule "acquire" pc[i] = idle & !(exists j: node do owner[j] endexists) ==> begin owner[i] := true; holder[i] := true; pc[i] := crit; end;
  rule "release" pc[i] = crit ==> begin owner[i] := false; holder[i] := false; last[i] := true; pc[i] := idle; end;
endruleset;
startstate begin for i: node do owner[i] := false; holder[i] := false; last[i] := false; pc[i] := idle; endfor; end;
invariant "mutex" forall i: node do forall j: node do (i != j) -> !(pc[i] = crit & pc[j] = crit) endforall endforall;
