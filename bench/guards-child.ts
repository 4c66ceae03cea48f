import { measureGuardRows } from './guards.js';

/* One measuring process of the guard suite (see guards-processes.ts): prints its rows as JSON. */
process.stdout.write(JSON.stringify(measureGuardRows()));
