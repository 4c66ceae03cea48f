import { describe, expect, it } from 'vitest';
import { CheckpointError, ShapeError, Tensor, manualSeed, nn, optim, randn, tensor, zeros } from '../src/index.js';

/** The PyTorch structure `Net` below mirrors, to compare state_dict keys with. */
class Net extends nn.Module {
  layers = new nn.Sequential(new nn.Linear(4, 8), new nn.ReLU(), new nn.Linear(8, 8), new nn.ReLU());
  head = new nn.Linear(8, 2);
  scale = tensor([1, 1], { requiresGrad: true });
  forward(x: Tensor): Tensor {
    return this.head.forward(this.layers.forward(x)).mul(this.scale);
  }
}

describe('nn.Module names', () => {
  it('names Sequential parameters as PyTorch state_dict keys', () => {
    const model = new nn.Sequential(new nn.Linear(2, 3), new nn.ReLU(), new nn.Linear(3, 1));
    expect(model.namedParameters().map(([name]) => name)).toEqual(['0.weight', '0.bias', '2.weight', '2.bias']);
    expect(Object.keys(model.stateDict())).toEqual(['0.weight', '0.bias', '2.weight', '2.bias']);
  });

  it('names nested modules by attribute path, own parameters first (as PyTorch)', () => {
    // torch: class Net(nn.Module) with self.layers = Sequential(...), self.head = Linear, self.scale = Parameter
    expect(new Net().namedParameters().map(([name]) => name)).toEqual([
      'scale', 'layers.0.weight', 'layers.0.bias', 'layers.2.weight', 'layers.2.bias', 'head.weight', 'head.bias',
    ]);
  });

  it('lists modules depth-first with dotted paths, the root as the empty string', () => {
    expect(new Net().namedModules().map(([path]) => path)).toEqual([
      '', 'layers', 'layers.0', 'layers.1', 'layers.2', 'layers.3', 'head',
    ]);
  });

  it('sets each parameter name to its key relative to the module asked', () => {
    const net = new Net();
    net.namedParameters();
    expect(net.layers.at(2)).toBeInstanceOf(nn.Linear);
    expect((net.layers.at(2) as nn.Linear).weight.name).toBe('layers.2.weight');
    net.layers.namedParameters();
    expect((net.layers.at(2) as nn.Linear).weight.name).toBe('2.weight');
  });

  it('omits a missing bias from the parameters, as PyTorch', () => {
    const layer = new nn.Linear(3, 2, { bias: false });
    expect(layer.namedParameters().map(([name]) => name)).toEqual(['weight']);
  });

  it('keeps a frozen parameter (requiresGrad turned off) in parameters() and stateDict(), as PyTorch', () => {
    manualSeed(0);
    const model = new nn.Sequential(new nn.Linear(2, 3), new nn.Linear(3, 1));
    const first = model.at(0) as nn.Linear;
    first.weight.requiresGrad = false;
    first.bias!.requiresGrad = false;
    expect(model.namedParameters().map(([name]) => name)).toEqual(['0.weight', '0.bias', '1.weight', '1.bias']);
    expect(Object.keys(model.stateDict())).toEqual(['0.weight', '0.bias', '1.weight', '1.bias']);
    const frozenBefore = Array.from(first.weight.data);
    const optimizer = new optim.SGD(model.parameters(), { lr: 0.1 });
    model.forward(tensor([[1, 2]])).sum().backward();
    expect(first.weight.grad).toBeNull();
    optimizer.step();
    expect(Array.from(first.weight.data)).toEqual(frozenBefore);
    expect(model.loadStateDict(model.stateDict())).toEqual({ missingKeys: [], unexpectedKeys: [] });
  });

  it('does not register a plain tensor field that never required gradients', () => {
    class WithBuffer extends nn.Module {
      weight = tensor([1, 2], { requiresGrad: true });
      offset = tensor([3, 4]);
      forward(x: Tensor): Tensor {
        return x.mul(this.weight).add(this.offset);
      }
    }
    expect(new WithBuffer().namedParameters().map(([name]) => name)).toEqual(['weight']);
  });
});

describe('nn.Module state', () => {
  it('stateDict returns copies', () => {
    const model = new nn.Linear(2, 2);
    const state = model.stateDict();
    state.weight!.data.fill(7);
    expect(Array.from(model.weight.data)).not.toContain(7);
  });

  it('loadStateDict copies values into the parameters', () => {
    manualSeed(1);
    const source = new nn.Sequential(new nn.Linear(3, 4), new nn.Tanh(), new nn.Linear(4, 2));
    const target = new nn.Sequential(new nn.Linear(3, 4), new nn.Tanh(), new nn.Linear(4, 2));
    const state = source.stateDict();
    target.loadStateDict(state);
    const x = randn([5, 3]);
    expect(Array.from(target.forward(x).data)).toEqual(Array.from(source.forward(x).data));
    state['0.weight']!.data.fill(0);
    expect(Array.from(target.forward(x).data)).toEqual(Array.from(source.forward(x).data));
  });

  function snapshot(model: nn.Module): number[][] {
    return model.parameters().map((p) => Array.from(p.data));
  }

  it('rejects a missing key, names it, and leaves the module unchanged', () => {
    const model = new nn.Sequential(new nn.Linear(2, 3), new nn.ReLU(), new nn.Linear(3, 1));
    const before = snapshot(model);
    const state = model.stateDict();
    for (const p of Object.values(state)) p.data.fill(0.5);
    delete state['2.bias'];
    expect(() => model.loadStateDict(state)).toThrow(CheckpointError);
    expect(() => model.loadStateDict(state)).toThrow(/missing keys '2\.bias'/);
    expect(snapshot(model)).toEqual(before);
  });

  it('rejects an unexpected key and names it', () => {
    const model = new nn.Linear(2, 1);
    const state = { ...model.stateDict(), 'extra.weight': zeros([1]) };
    expect(() => model.loadStateDict(state)).toThrow(/unexpected keys 'extra\.weight'/);
  });

  it('rejects a shape mismatch with the key and both shapes, before writing anything', () => {
    const model = new nn.Sequential(new nn.Linear(2, 3), new nn.ReLU(), new nn.Linear(3, 1));
    const before = snapshot(model);
    const state = model.stateDict();
    state['0.weight']!.data.fill(9); // valid, would be written first by a careless loader
    state['2.weight'] = zeros([3, 1]);
    let error: unknown;
    try {
      model.loadStateDict(state);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ShapeError);
    expect((error as ShapeError).message).toContain("'2.weight' has shape [3,1] in the state but [1,3] in the module");
    expect(snapshot(model)).toEqual(before);
  });

  it('with strict: false, loads what fits and reports the rest', () => {
    const model = new nn.Linear(2, 1);
    const result = model.loadStateDict({ weight: tensor([[3, 4]]), other: zeros([1]) }, { strict: false });
    expect(result).toEqual({ missingKeys: ['bias'], unexpectedKeys: ['other'] });
    expect(Array.from(model.weight.data)).toEqual([3, 4]);
  });

  it('zeroGrad sets every grad to null', () => {
    const model = new nn.Linear(2, 1);
    model.forward(randn([3, 2])).sum().backward();
    expect(model.weight.grad).not.toBeNull();
    model.zeroGrad();
    expect(model.parameters().map((p) => p.grad)).toEqual([null, null]);
  });

  it('train() and eval() switch every submodule', () => {
    const net = new Net();
    net.eval();
    expect(net.namedModules().every(([, m]) => !m.training)).toBe(true);
    net.train();
    expect(net.namedModules().every(([, m]) => m.training)).toBe(true);
  });
});

describe('nn.Module scope', () => {
  it('tags every op with the dotted path of the module that ran it', () => {
    const net = new Net();
    const out = net.forward(randn([2, 4]));
    expect(out.node?.module).toBe(''); // the root's own mul
    const head = out.node!.inputs[0]!;
    expect(head.node?.op).toBe('linear');
    expect(head.node?.module).toBe('head');
    const relu = head.node!.inputs[0]!;
    expect(relu.node?.module).toBe('layers.3');
    expect(relu.node!.inputs[0]!.node?.module).toBe('layers.2');
  });

  it('records each module boundary with its inputs on its output', () => {
    const model = new nn.Sequential(new nn.Linear(2, 3), new nn.ReLU());
    const x = randn([4, 2], { requiresGrad: true });
    const out = model.forward(x);
    expect(out.boundaries?.map((b) => b.module)).toEqual(['1', '']);
    expect(out.boundaries?.[1]?.inputs[0]).toBe(x);
    const hidden = out.node!.inputs[0]!;
    expect(hidden.boundaries?.map((b) => b.module)).toEqual(['0']);
  });

  it('a submodule called on its own is its own root', () => {
    const net = new Net();
    const out = net.head.forward(randn([1, 8]));
    expect(out.node?.module).toBe('');
  });
});
