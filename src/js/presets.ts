// Public models loaded from their Hugging Face repositories. Each ships
// model.safetensors and tokenizer.json; nothing is downloaded until asked.
import { AttnscopeError } from './errors.js';
import type { ModelSources } from './model.js';

export interface Preset {
  name: string;
  repo: string;
  description: string;
  /** Size of model.safetensors, for showing before the download starts. */
  approximateBytes: number;
}

export const PRESETS: Readonly<Record<string, Preset>> = {
  gpt2: {
    name: 'gpt2',
    repo: 'openai-community/gpt2',
    description: 'GPT-2 small: 12 layers x 12 heads, 124M parameters',
    approximateBytes: 548_105_171,
  },
  distilgpt2: {
    name: 'distilgpt2',
    repo: 'distilbert/distilgpt2',
    description: 'DistilGPT-2: 6 layers x 12 heads, 82M parameters',
    approximateBytes: 352_824_413,
  },
  'bert-base-uncased': {
    name: 'bert-base-uncased',
    repo: 'google-bert/bert-base-uncased',
    description: 'BERT base, uncased: 12 layers x 12 heads, 110M parameters',
    approximateBytes: 440_449_768,
  },
};

export interface PresetOptions {
  /** Where repositories live; defaults to https://huggingface.co (a mirror or a test server may stand in). */
  baseUrl?: string;
  /** Revision (branch, tag or commit); defaults to main. */
  revision?: string;
  signal?: AbortSignal;
}

/** The files of a preset (or any repository id "owner/name") as URLs. */
export function presetUrls(nameOrRepo: string, options: PresetOptions = {}): ModelSources & { base: string } {
  const repo = PRESETS[nameOrRepo]?.repo ?? nameOrRepo;
  if (!/^[\w.-]+(\/[\w.-]+)?$/.test(repo))
    throw new AttnscopeError('invalid_argument', `"${nameOrRepo}" is not a preset or a repository id`);
  const root = (options.baseUrl ?? 'https://huggingface.co').replace(/\/+$/, '');
  const base = `${root}/${repo}/resolve/${encodeURIComponent(options.revision ?? 'main')}/`;
  return {
    base,
    config: base + 'config.json',
    weights: base + 'model.safetensors',
    tokenizer: base + 'tokenizer.json',
  };
}

async function head(url: string, signal?: AbortSignal): Promise<Response | null> {
  try {
    return await fetch(url, { method: 'HEAD', signal });
  } catch (err) {
    if (signal?.aborted) throw new AttnscopeError('aborted', 'loading was aborted');
    throw new AttnscopeError('load_failed', `could not reach ${url}: ${String(err)}`, { cause: err });
  }
}

/**
 * Checks a repository before downloading: the exact size of its
 * model.safetensors, or a clear error when it ships only PyTorch's .bin.
 */
export async function probePreset(
  nameOrRepo: string,
  options: PresetOptions = {},
): Promise<{ sources: ModelSources; bytes?: number }> {
  const urls = presetUrls(nameOrRepo, options);
  const r = await head(urls.weights as string, options.signal);
  if (r?.ok) {
    const n = Number(r.headers.get('x-linked-size') ?? r.headers.get('content-length'));
    return { sources: urls, bytes: Number.isFinite(n) && n > 0 ? n : PRESETS[nameOrRepo]?.approximateBytes };
  }
  if (r && r.status === 404) {
    const bin = await head(urls.base + 'pytorch_model.bin', options.signal);
    if (bin?.ok)
      throw new AttnscopeError(
        'unsupported',
        `${nameOrRepo} ships only pytorch_model.bin (a PyTorch pickle), which attnscope cannot read safely in a browser. ` +
          'Convert it to model.safetensors (e.g. with the safetensors library) or pick a repository that ships one.',
      );
    throw new AttnscopeError('not_found', `${nameOrRepo} has no model.safetensors`);
  }
  throw new AttnscopeError('load_failed', `${urls.weights} answered HTTP ${r?.status}`);
}
