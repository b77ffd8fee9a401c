/**
 * The layers of an ONNX-only model (PyTorch trainer) that `cbmir eval --layers` can read: its graph
 * outputs. The names the paper's Table 1 uses map onto them like the TF.js layers they mirror: -1 is the
 * model's own last output (a supervised baseline's softmax), -2 the layer before it (its embedding), -3 the
 * pooled ResNet features.
 */
const OUTPUTS_BY_KIND: Record<string, string[]> = {
  supervised: ['pooled', 'embedding', 'probabilities'],
  siamese: ['embedding'],
};

const ALIASES: Record<string, number> = { output: -1, last: -1, softmax: -1, 'second-last': -2, 'third-last': -3 };

/** The representation outputs of a model, in graph order, among those its file has. */
export function onnxRepresentationOutputs(kind: string | null, outputNames: readonly string[]): string[] {
  const order = OUTPUTS_BY_KIND[kind ?? 'siamese'] ?? OUTPUTS_BY_KIND.siamese!;
  return order.filter((name) => outputNames.includes(name));
}

/** The graph output for a layer spec (a name, -1/-2/-3, or an alias); throws a message listing the choices. */
export function resolveOnnxOutput(kind: string | null, outputNames: readonly string[], spec: string): string {
  const outputs = onnxRepresentationOutputs(kind, outputNames);
  if (outputs.includes(spec)) return spec;
  const position = ALIASES[spec] ?? (/^-\d+$/.test(spec) ? Number(spec) : null);
  const found = position === null ? undefined : outputs[outputs.length + position];
  if (!found) {
    const choices = outputs.map((name, i) => `${i - outputs.length} ${name}`).join(', ');
    throw new RangeError(`no layer "${spec}" in this ONNX-only model (its layers: ${choices})`);
  }
  return found;
}
