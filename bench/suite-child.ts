import { kernelWorkloads } from './kernels.js';
import { LOCAL_CONTENDERS, measureContenders, type Workload } from './suite.js';
import { trainWorkloads } from './train.js';

/* The child process of a side-by-side suite (see LOCAL_CONTENDERS in suite.ts): measures gradguard and tfjs-cpu, prints JSON. */
const suite = process.argv[2] ?? '';
const builders: Record<string, () => Workload[]> = { kernels: kernelWorkloads, train: () => trainWorkloads() };
const build = builders[suite];
if (build === undefined) throw new Error(`suite-child: unknown suite '${suite}'`);
process.stdout.write(JSON.stringify(await measureContenders(suite, build(), LOCAL_CONTENDERS)));
