# Sourced by the instruction counters (bench/instr-*.sh): `"${callgrind[@]}" OPTIONS BINARY ...`
# runs BINARY under valgrind's callgrind pinned to one CPU (the first this shell may use); the
# command execs valgrind, so `$!` of a server started with `&` is valgrind's process.
#
# Valgrind runs a program's threads one at a time whatever the CPUs; on several CPUs the threads
# that hand work to each other (the Tokio worker and sqlx's SQLite worker, a blocking pool
# thread) race for valgrind's lock across them, and the loser's spinning and extra wake-ups
# count as instructions of the program: more or fewer with the machine's load, a few per cent of
# a request from run to run (SQLite pair, 2026-12-02, unpinned: ratios 1.07 to 1.11 in eight
# runs; pinned: 1.053 to 1.064 in six). On one CPU a thread runs until it blocks or its time slice
# ends, so the count is the work the program asks for. The client sending the requests runs
# where the scheduler puts it.
callgrind_cpu=$(python3 -c 'import os; print(min(os.sched_getaffinity(0)))')
callgrind=(taskset -c "$callgrind_cpu" valgrind --tool=callgrind)
