"""Batched greedy generation and next-token choice, the two ways a task asks a model.

The authors' evaluate.py generates one example at a time (greedy, max_new_tokens 128, stop at EOS,
decode with skip_special_tokens, strip). Here the same decoding runs on batches: prompts are sorted by
length (so a batch wastes little padding), left-padded (so every row's next token sits in the last
column), and generation stops at the template's end-of-turn token. In fp32 the outputs equal batch-1
outputs token for token (tests/test_generate.py); `batch_size=1` is the authors' exact procedure.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from tqdm.auto import tqdm

from benchmark.training.models import PERCEPTION_TOKEN

# End-of-turn markers of common chat templates; whichever the tokenizer knows stops generation. Llama-3's
# generation_config also ends at <|end_of_text|> and <|eom_id|> (3.1's tool-call turn end).
END_OF_TURN_TOKENS = ("<|im_end|>", "<|eot_id|>", "<end_of_turn>", "<|end|>", "<|endoftext|>", "<|end_of_text|>",
                      "<|eom_id|>")


@dataclass(frozen=True)
class Generation:
    text: str  # decoded without special tokens and stripped, as the authors' evaluate.py
    new_tokens: int  # tokens generated before the end-of-turn token
    stopped: bool  # False: ran into max_new_tokens without ending its turn
    token_ids: tuple[int, ...] = ()  # the generated ids before the end-of-turn token (for exact comparisons)


def generation_prompt(tok, messages, plain: bool = False) -> str:
    """The prompt text for [system, user]: the chat template with its assistant header.

    Gemma-style templates reject a system turn; the authors merge it into the user turn ("\\n\\n").
    `plain` models (pretrained from scratch) see the query followed by the perception token.
    """
    from jinja2.exceptions import TemplateError as JinjaError

    msgs = [dict(m) for m in messages if m["role"] != "assistant"]
    if plain:
        return msgs[-1]["content"] + PERCEPTION_TOKEN
    try:
        return tok.apply_chat_template(msgs, tokenize=False, add_generation_prompt=True)
    except JinjaError:
        if msgs[0]["role"] != "system" or len(msgs) < 2:
            raise
        merged = [dict(msgs[1], content=msgs[0]["content"] + "\n\n" + msgs[1]["content"])] + msgs[2:]
        return tok.apply_chat_template(merged, tokenize=False, add_generation_prompt=True)


def end_of_turn_ids(tok) -> list[int]:
    """EOS plus every end-of-turn marker the tokenizer has as a single token."""
    ids = {tok.eos_token_id} if tok.eos_token_id is not None else set()
    vocab = tok.get_vocab()
    ids.update(vocab[t] for t in END_OF_TURN_TOKENS if t in vocab)
    return sorted(ids)


def _batches(prompt_ids: list[list[int]], batch_size: int) -> list[list[int]]:
    """Indices grouped into batches of similar length, longest first (a memory error shows up at once)."""
    order = sorted(range(len(prompt_ids)), key=lambda i: (-len(prompt_ids[i]), i))
    return [order[i:i + batch_size] for i in range(0, len(order), batch_size)]


def _left_pad(rows: list[list[int]], pad_id: int, device) -> tuple[torch.Tensor, torch.Tensor]:
    width = max(len(r) for r in rows)
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, r in enumerate(rows):
        ids[i, width - len(r):] = torch.tensor(r)
        mask[i, width - len(r):] = 1
    return ids.to(device), mask.to(device)


def _autocast(model, bf16: bool):
    device_type = next(model.parameters()).device.type
    return torch.autocast(device_type, dtype=torch.bfloat16, enabled=bf16)


@torch.no_grad()
def greedy_generate(model, tok, prompts: list[str], *, batch_size: int = 16, max_new_tokens: int = 128,
                    bf16: bool = False, progress: bool = True, desc: str = "generating") -> list[Generation]:
    """Greedy continuations of `prompts`, in the order given."""
    if batch_size < 1 or max_new_tokens < 1:
        raise ValueError("batch_size and max_new_tokens must be at least 1")
    prompt_ids = [tok(p, add_special_tokens=False)["input_ids"] for p in prompts]
    stop = end_of_turn_ids(tok)
    pad_id = tok.pad_token_id if tok.pad_token_id is not None else stop[0]
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    out: list[Generation | None] = [None] * len(prompts)
    bar = tqdm(total=len(prompts), desc=desc, unit="ex", disable=not progress, leave=False)
    try:
        for batch in _batches(prompt_ids, batch_size):
            ids, mask = _left_pad([prompt_ids[i] for i in batch], pad_id, device)
            with _autocast(model, bf16):
                seqs = model.generate(input_ids=ids, attention_mask=mask, max_new_tokens=max_new_tokens,
                                      do_sample=False, num_beams=1, eos_token_id=stop, pad_token_id=pad_id,
                                      use_cache=True, temperature=None, top_p=None, top_k=None)
            for row, i in enumerate(batch):
                new = seqs[row, ids.shape[1]:].tolist()
                ends = [j for j, t in enumerate(new) if t in stop]
                cut = new[: ends[0]] if ends else new
                text = tok.decode(cut, skip_special_tokens=True).strip()
                out[i] = Generation(text, len(cut), bool(ends), tuple(cut))
            bar.update(len(batch))
    finally:
        bar.close()
        model.train(was_training)
    return out  # type: ignore[return-value]


def choice_token_ids(tok, choices: tuple[str, ...]) -> list[int]:
    """The single token of each answer letter (the authors compare next-token probabilities of A-D)."""
    ids = []
    for c in choices:
        got = tok(c, add_special_tokens=False)["input_ids"]
        if len(got) != 1:
            raise ValueError(f"answer {c!r} is {len(got)} tokens for this tokenizer; a choice task needs one")
        ids.append(got[0])
    return ids


@torch.no_grad()
def next_token_choice(model, tok, prompts: list[str], choices: tuple[str, ...], *, batch_size: int = 16,
                      bf16: bool = False, progress: bool = True, desc: str = "scoring choices"
                      ) -> list[tuple[str, list[float]]]:
    """For each prompt, the choice whose token is most probable next, and the choices' probabilities
    renormalised over the choices (the authors' `relative_probability`)."""
    prompt_ids = [tok(p, add_special_tokens=False)["input_ids"] for p in prompts]
    cand = torch.tensor(choice_token_ids(tok, choices))
    pad_id = tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    out: list[tuple[str, list[float]] | None] = [None] * len(prompts)
    bar = tqdm(total=len(prompts), desc=desc, unit="ex", disable=not progress, leave=False)
    try:
        for batch in _batches(prompt_ids, batch_size):
            ids, mask = _left_pad([prompt_ids[i] for i in batch], pad_id, device)
            positions = (mask.cumsum(-1) - 1).clamp(min=0)  # left padding must not shift positions
            with _autocast(model, bf16):
                logits = model(input_ids=ids, attention_mask=mask, position_ids=positions, logits_to_keep=1).logits
            probs = logits[:, -1, :].float().index_select(-1, cand.to(device)).softmax(-1).cpu()
            for row, i in enumerate(batch):
                p = probs[row].tolist()
                out[i] = (choices[max(range(len(p)), key=p.__getitem__)], [round(x, 6) for x in p])
            bar.update(len(batch))
    finally:
        bar.close()
        model.train(was_training)
    return out  # type: ignore[return-value]
