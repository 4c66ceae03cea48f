"""PyTorch eager CPU as the same-run reference for gradguard's training steps A and B.

bench/pytorch.ts runs this script (python3 bench/pytorch/steps.py '<json>') and reads the one
JSON object it prints on stdout; progress goes to stderr. It can also run on its own, with the
steps of bench/models.ts as defaults:

    python3 bench/pytorch/steps.py

Each step is built the way bench/models.ts builds gradguard's: a torch.nn.Sequential of Linear
and ReLU (PyTorch's default init), CrossEntropyLoss (mean), SGD lr 0.01 or Adam lr 1e-3, inputs
from the same LCG as bench/harness.ts. One step = zero_grad (set_to_none, PyTorch's default),
forward, loss, backward, optimizer.step, loss.item(). The optimizers keep their defaults too (on
CPU tensors that is the per-tensor loop, not the foreach kernels). Variants: 'sgd', 'adam', and 'sgd+clip' (clip_grad_norm_ with
max_norm 1.0 between backward and the update, the usual place).

Two timings per variant, as the Node suites time gradguard:
  - wall clock: mean ms per step over ~BENCH_MAX_TIME seconds of steps, best of a few rounds
    (what the train suite reads from benchmark.js);
  - process CPU time (time.process_time): ms per step of the fastest batch of ~20 ms over 75
    rounds in which every variant runs one batch, in an order rotated round by round (what the
    guards suite does). The clip ratio is the median over rounds of (clip batch / same-round
    plain SGD batch), the paired method of bench/guards.ts.

One thread (torch.set_num_threads(1)): gradguard is single-threaded, and on a 2-core machine a
second thread would only measure how idle the other core happens to be.
"""

import gc
import json
import os
import platform
import sys
import time

try:
    import torch
except ImportError:
    # why: exit code 3 tells bench/pytorch.ts that torch is missing; it prints the one-line reason.
    sys.exit(3)

MAX_TIME = float(os.environ.get('BENCH_MAX_TIME', '0.25'))
WALL_ROUNDS = max(3, int(os.environ.get('BENCH_ROUNDS', '2')))
CPU_ROUNDS = 75
BATCH_SECONDS = 0.08 * MAX_TIME  # 20 ms at the default, as bench/guards.ts
LEARNING_RATE = {'sgd': 0.01, 'adam': 1e-3}  # bench/models.ts
VARIANTS = ('sgd', 'adam', 'sgd+clip')
DEFAULT_STEPS = [  # bench/models.ts: STEP_A and STEP_B
    {'name': 'A 784-128-128-10 b64', 'sizes': [784, 128, 128, 10], 'batch': 64},
    {'name': 'B 16×64 ReLU b32', 'sizes': [32] + [64] * 16 + [10], 'batch': 32},
]


def progress(text):
    print(f'  pytorch: {text}', file=sys.stderr, flush=True)


def lcg(size, seed):
    """The LCG of bench/harness.ts (randomArray / randomLabels): state = state·1664525 + 1013904223 mod 2³²."""
    state = seed & 0xFFFFFFFF
    for _ in range(size):
        state = (state * 1664525 + 1013904223) & 0xFFFFFFFF
        yield state


def random_array(size, seed):
    return torch.tensor([s / 2**31 - 1 for s in lcg(size, seed)], dtype=torch.float32)


def random_labels(size, classes, seed=7):
    return torch.tensor([s % classes for s in lcg(size, seed)], dtype=torch.int64)


def build_step(shape, variant):
    """One training step of `shape` as a function returning the loss (a Python float)."""
    sizes, batch = shape['sizes'], shape['batch']
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(torch.nn.Linear(sizes[i], sizes[i + 1]))
        if i + 2 < len(sizes):
            layers.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*layers)
    parameters = list(model.parameters())
    optimizer_name = 'adam' if variant == 'adam' else 'sgd'
    lr = LEARNING_RATE[optimizer_name]
    optimizer = torch.optim.Adam(parameters, lr=lr) if optimizer_name == 'adam' else torch.optim.SGD(parameters, lr=lr)
    x = random_array(batch * sizes[0], 3).reshape(batch, sizes[0])
    targets = random_labels(batch, sizes[-1])
    loss_fn = torch.nn.CrossEntropyLoss()
    clip = variant == 'sgd+clip'

    def step():
        optimizer.zero_grad()
        loss = loss_fn(model(x), targets)
        loss.backward()
        if clip:
            torch.nn.utils.clip_grad_norm_(parameters, 1.0)
        optimizer.step()
        return loss.item()

    return step


def wall_mean_ms(step):
    """Mean wall-clock ms per step over ~MAX_TIME seconds (benchmark.js's mean, roughly)."""
    calls = 0
    start = time.perf_counter()
    elapsed = 0.0
    while elapsed < MAX_TIME or calls < 3:
        step()
        calls += 1
        elapsed = time.perf_counter() - start
    return elapsed / calls * 1e3


def cpu_batch_ms(step, calls):
    """Process CPU ms per step over `calls` steps."""
    start = time.process_time()
    for _ in range(calls):
        step()
    return (time.process_time() - start) / calls * 1e3


def median(values):
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 == 1 else (ordered[middle - 1] + ordered[middle]) / 2


def measure_shape(shape):
    steps = {variant: build_step(shape, variant) for variant in VARIANTS}
    calls = {}
    for variant, step in steps.items():
        for _ in range(20):
            step()  # warm up: allocator caches, Adam's state, the first autograd graphs
        calls[variant] = max(3, round(BATCH_SECONDS * 1e3 / cpu_batch_ms(step, 10)))
    # why once, not before every case as the Node harness does: Python frees a step's tensors by
    # reference counting as they go; gc.collect() only looks for cycles, and with torch loaded
    # one pass takes ~0.2 s.
    gc.collect()

    # Wall clock: the variants back to back in each round, so a burst of load hits them alike.
    wall = {variant: float('inf') for variant in VARIANTS}
    for round_index in range(WALL_ROUNDS):
        progress(f'{shape["name"]}, wall clock (round {round_index + 1}/{WALL_ROUNDS})')
        for variant, step in steps.items():
            wall[variant] = min(wall[variant], wall_mean_ms(step))

    # CPU time: interleaved, rotated batches; no forced collection between them (as bench/guards.ts).
    cpu = {variant: float('inf') for variant in VARIANTS}
    clip_ratios = []
    for round_index in range(CPU_ROUNDS):
        if round_index % 15 == 0:
            progress(f'{shape["name"]}, CPU time (round {round_index + 1}/{CPU_ROUNDS})')
        order = [VARIANTS[(k + round_index) % len(VARIANTS)] for k in range(len(VARIANTS))]
        batch = {variant: cpu_batch_ms(steps[variant], calls[variant]) for variant in order}
        for variant, ms in batch.items():
            cpu[variant] = min(cpu[variant], ms)
        clip_ratios.append(batch['sgd+clip'] / batch['sgd'])

    return {
        'name': shape['name'],
        'sizes': shape['sizes'],
        'batch': shape['batch'],
        'variants': {variant: {'wallMs': wall[variant], 'cpuMs': cpu[variant]} for variant in VARIANTS},
        'clipRatio': median(clip_ratios),
        'clipRatioOfMinima': cpu['sgd+clip'] / cpu['sgd'],
    }


def main():
    torch.set_num_threads(1)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass  # already set: it can be set once per process, before any parallel work
    torch.manual_seed(0)
    shapes = json.loads(sys.argv[1])['steps'] if len(sys.argv) > 1 else DEFAULT_STEPS
    progress(f'torch {torch.__version__} on {torch.get_num_threads()} thread (gradguard is single-threaded), '
             f'Python {platform.python_version()}; steps {", ".join(shape["name"] for shape in shapes)}')
    results = [measure_shape(shape) for shape in shapes]
    print(json.dumps({
        'torch': torch.__version__,
        'python': platform.python_version(),
        'threads': torch.get_num_threads(),
        'threadsNote': 'torch.set_num_threads(1): gradguard is single-threaded',
        'maxTimePerCase': MAX_TIME,
        'wallRounds': WALL_ROUNDS,
        'cpuRounds': CPU_ROUNDS,
        'steps': results,
    }))


if __name__ == '__main__':
    main()
