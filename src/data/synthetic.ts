import { Tensor } from '../autograd/tensor.js';
import { positiveInteger } from '../errors.js';
import { globalGenerator, type Generator } from '../tensor/rng.js';
import type { Dataset } from './loader.js';

/*
 * Small seeded classification sets in 2-D, for watching a network learn. Each draws from the
 * global generator (seed it with `manualSeed`) or from `generator`, and returns float32
 * inputs x [N, d] with class indices y [N] (float32 holding integers).
 */

/** A classification set: `classes` tells the number of classes in `y`. */
export interface ClassificationSet extends Dataset {
  classes: number;
}

function build(points: Float32Array, labels: Float32Array, dims: number, classes: number): ClassificationSet {
  return { x: new Tensor(points, [labels.length, dims]), y: new Tensor(labels, [labels.length]), classes };
}

/**
 * XOR: label 1 where exactly one coordinate is 1. With `samples = 4` (default) the four corners
 * of the unit square in order (0,0), (0,1), (1,0), (1,1); with more, corners repeated in turn
 * and jittered by Gaussian `noise`.
 * @example data.xor().y.toArray(); // [0, 1, 1, 0]
 */
export function xor(options: { samples?: number; noise?: number; generator?: Generator } = {}): ClassificationSet {
  const { samples = 4, noise = 0, generator = globalGenerator } = options;
  positiveInteger('xor', 'samples', samples);
  const points = new Float32Array(samples * 2);
  const labels = new Float32Array(samples);
  for (let i = 0; i < samples; i++) {
    const a = (i >> 1) & 1;
    const b = i & 1;
    points[2 * i] = a + (noise > 0 ? noise * generator.normal() : 0);
    points[2 * i + 1] = b + (noise > 0 ? noise * generator.normal() : 0);
    labels[i] = a ^ b;
  }
  return build(points, labels, 2, 2);
}

/**
 * Two interleaving half circles (scikit-learn's `make_moons`): class 0 on (cos t, sin t), class 1
 * on (1 − cos t, ½ − sin t), t evenly spaced in [0, π], plus Gaussian `noise`.
 * @example const { x, y } = data.twoMoons({ samples: 200, noise: 0.1 });
 */
export function twoMoons(options: { samples?: number; noise?: number; generator?: Generator } = {}): ClassificationSet {
  const { samples = 200, noise = 0.1, generator = globalGenerator } = options;
  positiveInteger('twoMoons', 'samples', samples);
  const outer = Math.floor(samples / 2);
  const points = new Float32Array(samples * 2);
  const labels = new Float32Array(samples);
  for (let i = 0; i < samples; i++) {
    const inner = i >= outer;
    const count = inner ? samples - outer : outer;
    const k = inner ? i - outer : i;
    const t = count === 1 ? 0 : (Math.PI * k) / (count - 1);
    const px = inner ? 1 - Math.cos(t) : Math.cos(t);
    const py = inner ? 0.5 - Math.sin(t) : Math.sin(t);
    points[2 * i] = px + noise * generator.normal();
    points[2 * i + 1] = py + noise * generator.normal();
    labels[i] = inner ? 1 : 0;
  }
  return build(points, labels, 2, 2);
}

/**
 * Interleaved spiral arms, one per class (the CS231n spiral set): for class c, radius r runs
 * evenly from 0 to 1 and angle θ from 4c to 4(c + 1) plus Gaussian noise·N(0, 1);
 * the point is (r·sin θ, r·cos θ).
 * @example const { x, y } = data.spirals({ samplesPerClass: 100, classes: 3 }); // x [300, 2]
 */
export function spirals(
  options: { samplesPerClass?: number; classes?: number; noise?: number; generator?: Generator } = {},
): ClassificationSet {
  const { samplesPerClass = 100, classes = 3, noise = 0.2, generator = globalGenerator } = options;
  positiveInteger('spirals', 'samplesPerClass', samplesPerClass);
  positiveInteger('spirals', 'classes', classes);
  const n = samplesPerClass * classes;
  const points = new Float32Array(n * 2);
  const labels = new Float32Array(n);
  for (let c = 0; c < classes; c++) {
    for (let k = 0; k < samplesPerClass; k++) {
      const i = c * samplesPerClass + k;
      const step = samplesPerClass === 1 ? 0 : k / (samplesPerClass - 1);
      const radius = step;
      const angle = 4 * c + 4 * step + noise * generator.normal();
      points[2 * i] = radius * Math.sin(angle);
      points[2 * i + 1] = radius * Math.cos(angle);
      labels[i] = c;
    }
  }
  return build(points, labels, 2, classes);
}

/**
 * Gaussian blobs (scikit-learn's `make_blobs`): `centers` centres drawn uniformly in `box`,
 * sample i belongs to class i mod centers and lies at its centre plus N(0, std²) per coordinate.
 * @example const { x, y } = data.blobs({ samples: 300, centers: 3 });
 */
export function blobs(
  options: { samples?: number; centers?: number; dims?: number; std?: number; box?: readonly [number, number]; generator?: Generator } = {},
): ClassificationSet {
  const { samples = 300, centers = 3, dims = 2, std = 1, box = [-10, 10], generator = globalGenerator } = options;
  positiveInteger('blobs', 'samples', samples);
  positiveInteger('blobs', 'centers', centers);
  positiveInteger('blobs', 'dims', dims);
  const middles = new Float64Array(centers * dims);
  for (let i = 0; i < middles.length; i++) middles[i] = box[0] + (box[1] - box[0]) * generator.uniform();
  const points = new Float32Array(samples * dims);
  const labels = new Float32Array(samples);
  for (let i = 0; i < samples; i++) {
    const c = i % centers;
    for (let d = 0; d < dims; d++) points[i * dims + d] = middles[c * dims + d]! + std * generator.normal();
    labels[i] = c;
  }
  return build(points, labels, dims, centers);
}
