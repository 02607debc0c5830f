// The parameter-sharing lesson's counts: a dense neuron's weights against a conv layer's.
// Pure (no DOM): tested with `node --test`.

// One neuron of a dense layer reads every input value: one weight each.
export const denseNeuronWeights = (width, height, channels = 1) => width * height * channels;

// A conv layer of `filters` k x k filters over `channels` inputs: the weights are shared by
// every position, so the count does not depend on the image's size.
export function convLayer(filters, k, channels = 1) {
  const weights = filters * k * k * channels;
  return { weights, biases: filters, total: weights + filters };
}

// The worked example with a person's numbers: a side x side image (one channel), `filters`
// filters of k x k; a dense layer with as many neurons as the conv layer has filters.
export function workedExample(side = 100, filters = 100, k = 3) {
  const perNeuron = denseNeuronWeights(side, side);
  const conv = convLayer(filters, k);
  return { perNeuron, denseLayer: perNeuron * filters + filters, conv, ratio: (perNeuron * filters + filters) / conv.total };
}

// Thousands separated by narrow no-break spaces (a projector reads 10 000 more easily than
// 10000, and a line never breaks inside a number).
export function grouped(n) {
  return Math.round(n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, "\u202f");
}

// A bar's length on a log scale from 1 to `top`: counts from hundreds to billions fit one chart.
export const logFraction = (n, top) => (n <= 1 ? 0 : Math.log10(n) / Math.log10(top));
