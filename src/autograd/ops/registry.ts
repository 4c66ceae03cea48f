import { gelu, softplus } from './activation.js';
import { add, div, mul, neg, pow, sub } from './arithmetic.js';
import { abs, clamp, exp, leakyRelu, log, relu, sigmoid, sqrt, tanh } from './elementwise.js';
import { linear, matmul, transpose } from './linalg.js';
import type { OpTable } from './op.js';
import { max, sum } from './reduce.js';
import { reshape } from './shape.js';
import { crossEntropy, logSoftmax, softmax } from './softmax.js';

/** Every primitive op by name. Typed over the OpName union: a missing op is a compile error. */
export const OPS: OpTable = {
  add, sub, mul, div, neg, pow,
  exp, log, sqrt, abs, clamp, relu, leakyRelu, tanh, sigmoid,
  gelu, softplus,
  matmul, linear, transpose,
  sum, max,
  reshape,
  softmax, logSoftmax, crossEntropy,
};
