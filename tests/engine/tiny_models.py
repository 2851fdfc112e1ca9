"""Tiny real causal LMs for the engine tests, built from a config in well under a second.

A byte-level BPE tokenizer is trained on the fly with the `tokenizers` library on a fixed
corpus (deterministic); GPT-2-style models get no BOS (and GPT-2's offset-trimming ByteLevel
post-processor), Llama-style models get "<s>" in front of every text. Weights come from a fixed
seed with a wide init so that the distributions are far from uniform.
"""

from __future__ import annotations

from pathlib import Path

import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
from transformers import GPT2Config, GPT2LMHeadModel, LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

CORPUS = [
    "The cat sat on the mat. The dog sat on the log. Answer: yes. Answer: no.",
    "Question: Is Paris the capital of France? Answer: Yes, it is.",
    "All men are mortal. Socrates is a man. Therefore Socrates is mortal.",
    "Classes: positive, negative, neutral. Sentiment: positive",
    "Ünïcödé façade naïve café – “quotes” — 東京 日本語 😀 emoji",
    "She said he was a nurse; he said she was an engineer. Who is the doctor?",
    "0 1 2 3 4 5 6 7 8 9 10 100 1000 true false maybe unknown",
]


def train_tokenizer(kind: str) -> PreTrainedTokenizerFast:
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    specials = ["<|endoftext|>"] if kind == "gpt2" else ["<unk>", "<s>", "</s>"]
    trainer = trainers.BpeTrainer(vocab_size=420, min_frequency=2, special_tokens=specials,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  show_progress=False)
    tok.train_from_iterator(CORPUS * 20, trainer)
    if kind == "gpt2":
        tok.post_processor = processors.ByteLevel(trim_offsets=True)
        return PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<|endoftext|>",
                                       eos_token="<|endoftext|>", unk_token="<|endoftext|>")
    bos = tok.token_to_id("<s>")
    tok.post_processor = processors.TemplateProcessing(single="<s> $A", pair="<s> $A $B",
                                                       special_tokens=[("<s>", bos)])
    return PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>",
                                   unk_token="<unk>")


SIZES = {"xs": (2, 32, 4), "s": (3, 64, 4)}  # layers, width, heads


def build(kind: str, size: str = "xs", *, window: int = 64, seed: int = 0):
    """(model, tokenizer) for kind 'gpt2' or 'llama'."""
    tokenizer = train_tokenizer(kind)
    layers, width, heads = SIZES[size]
    vocab = len(tokenizer)
    torch.manual_seed(seed)
    if kind == "gpt2":
        cfg = GPT2Config(vocab_size=vocab, n_positions=window, n_embd=width, n_layer=layers,
                         n_head=heads, initializer_range=0.3, bos_token_id=tokenizer.bos_token_id,
                         eos_token_id=tokenizer.eos_token_id)
        model = GPT2LMHeadModel(cfg)
    else:
        cfg = LlamaConfig(vocab_size=vocab, hidden_size=width, intermediate_size=2 * width,
                          num_hidden_layers=layers, num_attention_heads=heads,
                          num_key_value_heads=heads // 2, max_position_embeddings=window,
                          initializer_range=0.3, bos_token_id=tokenizer.bos_token_id,
                          eos_token_id=tokenizer.eos_token_id, tie_word_embeddings=False)
        model = LlamaForCausalLM(cfg)
    model.eval()
    return model, tokenizer


def save(kind: str, size: str, folder: Path, **kw) -> Path:
    model, tokenizer = build(kind, size, **kw)
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder
