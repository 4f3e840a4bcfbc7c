-- Twin of tests/test_symmetry_data.py CH2 (issue 18): a channel of instance ids as an array with a
-- count, empty slots undefined (N is rewritten by the test).
const N: 2;
const CAP: 2;
type w: scalarset(N);
var q: array[0..CAP-1] of w;
var qlen: 0..CAP;
var served: array[w] of boolean;
var pc: array[w] of enum { idle, waiting };
ruleset i: w do
  rule "req" pc[i] = idle & qlen < CAP & !served[i] ==> begin q[qlen] := i; qlen := qlen + 1; pc[i] := waiting; end;
  rule "done" pc[i] = waiting & served[i] ==> begin served[i] := false; pc[i] := idle; end;
endruleset;
rule "serve" qlen > 0 ==>
var x: w;
begin
  x := q[0];
  for k: 0..CAP-2 do if k + 1 < qlen then q[k] := q[k+1]; endif; endfor;
  qlen := qlen - 1;
  undefine q[qlen];
  assert pc[x] = waiting "waiting";
  assert !served[x] "not served";
  served[x] := true;
end;
startstate begin undefine q; qlen := 0; for i: w do served[i] := false; pc[i] := idle; endfor; end;
invariant "inv" qlen <= CAP;
