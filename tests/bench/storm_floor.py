#!/usr/bin/env python3
"""Floor of the fault-storm figure: what honouring Retry-After alone costs bikeshare TEST.

Simulates only the longest chain of a TEST apply (what the next step waits for), with every
request faulted independently with probability P and each fault costing the whole
Retry-After before the retry, as `envctl_bench converge --storm` does to cloudsim:

  AAD token -> resource group GET, PUT -> workspace PUT, LRO poll (after 1 s), GET
  -> notebooks mkdirs -> 5 imports at once (the slowest counts) -> jobs/run-now
  -> polls every 1 s until the 7.4 s training run is seen ended
  -> createRun -> polls every 1 s until the 4.0 s pipeline run is seen ended

A faulted poll blacks out the whole Retry-After, so a run's end is seen late whenever it
falls in one. Every other branch of the apply runs beside this chain, so a measured median
can only be above this one. Prints the chain's fault-free length and its median and mean
under the storm, for Retry-After 1 s, 5 s and uniform 1-5 s.

  python3 tests/bench/storm_floor.py [--rate 0.3] [--samples 20000] [--latency 0.1]
"""
import argparse
import random
import statistics


def chain(rng, rate, retry_after, latency):
    def request(t):
        while True:
            t += latency
            if rng.random() >= rate:
                return t
            t += retry_after(rng)

    def run(t, duration, interval=1.0):
        end = t + duration
        while True:
            t = request(t + interval)
            if t >= end + latency:
                return t

    t = request(0.0)                              # AAD token
    t = request(request(t))                       # resource group GET, PUT
    t = request(request(request(t) + 1.0))        # workspace PUT, LRO poll, GET
    t = request(t)                                # notebooks mkdirs
    t = max(request(t) for _ in range(5))         # five imports at once
    t = run(request(t), 7.4)                      # run-now, training run seen ended
    return run(request(t), 4.0)                   # createRun, pipeline run seen ended


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rate", type=float, default=0.3)
    p.add_argument("--samples", type=int, default=20000)
    p.add_argument("--latency", type=float, default=0.1)
    a = p.parse_args()
    rng = random.Random(1)
    free = chain(rng, 0.0, lambda r: 0.0, a.latency)
    print(f"critical chain of bikeshare TEST, fault-free: {free:.1f} s")
    for label, ra in (("Retry-After 1 s", lambda r: 1.0), ("Retry-After 5 s", lambda r: 5.0),
                      ("Retry-After uniform 1-5 s", lambda r: float(r.randint(1, 5)))):
        xs = [chain(rng, a.rate, ra, a.latency) for _ in range(a.samples)]
        med = statistics.median(xs)
        print(f"  {label:26} median {med:5.1f} s ({med / free:.2f}x)  "
              f"mean {statistics.mean(xs):5.1f} s ({statistics.mean(xs) / free:.2f}x)")


if __name__ == "__main__":
    main()
