"""One example -> its token sequences: the full conversation, the Text view and the Code view.

LLM-JEPA needs three renderings of each example (paper §3.1; the authors' finetune.py):

* full: the chat template over [system, user, assistant]; carries the LM loss;
* Text view: the template over [user] alone with k [PRED] tokens appended to the content (prepended
  with `front_pred`); Pred(Enc(Text)) is its hidden state at the last content token;
* Code view: the template over [assistant] alone; Enc(Code) is its hidden state at the last content token.

`reverse_pred` swaps which view carries the predictors. Rather than a per-family offset (the authors'
`--last_token`: Llama-3 -2, ChatML -3, ...), the position of the last content token is located through
the template itself: every message content is rendered as a sentinel, the literal template pieces around
the sentinels give the character span of each content in the real rendering, and the tokenizer's offset
mapping turns character spans into token spans. `last_token` keeps the authors' offsets available.

Labels (which tokens carry the LM loss) come in two named modes:

* `as_run`: every token of the full conversation whose id differs from the pad id. This is what the
  authors' code trained (their collator rebuilds labels from input_ids and masks pad ids), so the
  end-of-turn token is never trained when pad = eos (Llama-3, SmolLM2). It produced the paper's numbers.
* `assistant`: the assistant content plus the end-of-turn token that closes it, as the paper's text
  describes (`create_masked_labels` minus its lost end-of-turn).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from tasks.jsonl import Example

from benchmark.training.models import PERCEPTION_TOKEN, PREDICTOR_TOKENS

_SENTINEL = "\ue000{}\ue001"  # private-use characters: never in a template, never trimmed
_SENTINEL_RE = re.compile("\ue000(\\d+)\ue001")


class TemplateError(ValueError):
    """A chat template whose rendering cannot be mapped back onto the message contents."""


@dataclass(frozen=True)
class Rendering:
    text: str
    content_spans: dict[int, tuple[int, int]]  # message index -> [start, end) character span in `text`


@dataclass
class TokenizedExample:
    """Token ids of one example. Positions are indices into the corresponding list."""

    full_ids: list[int]
    full_labels: list[bool]  # token t is an LM target (predicted from tokens < t)
    user_span: tuple[int, int]  # [start, end) token span of the user content in full_ids (STP trajectory)
    assistant_span: tuple[int, int]  # same for the assistant content
    source_ids: list[int] | None = None  # the view carrying the predictors (Text, or Code with reverse_pred)
    source_enc: int | None = None  # position of Pred(Enc(source))
    target_ids: list[int] | None = None  # the other view
    target_enc: int | None = None  # position of Enc(target)
    truncated: bool = False

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def _render(tok, messages) -> str:
    return tok.apply_chat_template(list(messages), tokenize=False, add_generation_prompt=False)


def render_with_spans(tok, messages) -> Rendering:
    """Render `messages` and locate each content's character span through sentinel contents."""
    marked = [dict(m, content=_SENTINEL.format(i)) for i, m in enumerate(messages)]
    skeleton = _render(tok, marked)
    real = _render(tok, messages)
    for strip in (False, True):  # some templates trim contents (Gemma, Llama-3): try the trimmed text too
        text, spans = "", {}
        for j, piece in enumerate(_SENTINEL_RE.split(skeleton)):
            if j % 2 == 0:
                text += piece
            else:
                i = int(piece)
                content = messages[i]["content"].strip() if strip else messages[i]["content"]
                spans[i] = (len(text), len(text) + len(content))
                text += content
        if text == real:
            return Rendering(real, spans)
    raise TemplateError("the chat template transforms message contents beyond trimming; "
                        "pass --last-token to give the Enc offset explicitly")


def render_messages(tok, messages) -> Rendering:
    """Render with the authors' adaptations for templates without a system or assistant-only turn (Gemma)."""
    from jinja2.exceptions import TemplateError as JinjaError

    try:
        return render_with_spans(tok, messages)
    except JinjaError:
        msgs = [dict(m) for m in messages]
        if msgs[0]["role"] == "system" and len(msgs) > 1:  # merge the system prompt into the user turn
            msgs = [dict(msgs[1], content=msgs[0]["content"] + "\n\n" + msgs[1]["content"])] + msgs[2:]
            r = render_with_spans(tok, msgs)
            # message indices shift by one; keep the user index = 1 convention (system span is gone)
            return Rendering(r.text, {i + 1: s for i, s in r.content_spans.items()})
        if len(msgs) == 1 and msgs[0]["role"] == "assistant":  # assistant alone: relabel it as user
            return render_with_spans(tok, [dict(msgs[0], role="user")])
        raise


def char_span_to_tokens(offsets, start: int, end: int) -> tuple[int, int]:
    """[first, last + 1) of the tokens overlapping the character span [start, end)."""
    inside = [i for i, (a, b) in enumerate(offsets) if (a < end and b > start) or (a == b and start <= a < end)]
    if not inside:
        raise TemplateError(f"no token covers characters {start}..{end} of the rendering")
    return inside[0], inside[-1] + 1


def _special_ids(tok) -> set[int]:
    ids = set(tok.all_special_ids)
    ids.update(i for i, t in tok.added_tokens_decoder.items() if t.special)
    return ids


class ViewBuilder:
    """Turns examples into `TokenizedExample`s for one tokenizer and one configuration."""

    def __init__(self, tok, *, predictors: int = 1, front_pred: bool = False, reverse_pred: bool = False,
                 label_mode: str = "as_run", last_token: int | None = None, plain: bool = False,
                 max_length: int = 512, with_views: bool = True):
        self.tok = tok
        # Descending order <|predictor_k|> ... <|predictor_1|>, as the authors append them.
        self.pred_text = "".join(PREDICTOR_TOKENS[i] for i in reversed(range(predictors)))
        self.front_pred, self.reverse_pred = front_pred, reverse_pred
        self.label_mode, self.last_token, self.plain = label_mode, last_token, plain
        self.max_length, self.with_views = max_length, with_views
        self.special_ids = _special_ids(tok)

    # -- tokenisation helpers
    def _encode(self, r: Rendering) -> tuple[list[int], list[tuple[int, int]]]:
        enc = self.tok(r.text, add_special_tokens=False, return_offsets_mapping=True)
        return list(enc["input_ids"]), list(enc["offset_mapping"])

    def _with_preds(self, content: str) -> str:
        return self.pred_text + content if self.front_pred else content + self.pred_text

    def _render_plain(self, parts: list[str]) -> Rendering:
        text, spans = "", {}
        for i, part in enumerate(parts):
            if i:
                text += PERCEPTION_TOKEN
            spans[i] = (len(text), len(text) + len(part))
            text += part
        return Rendering(text, spans)

    def _view(self, messages, with_preds: bool) -> tuple[list[int], int]:
        """Token ids of one view and the position of its last content token."""
        messages = [dict(m) for m in messages]
        if with_preds:
            messages[-1]["content"] = self._with_preds(messages[-1]["content"])
        r = self._render_plain([messages[-1]["content"]]) if self.plain else render_messages(self.tok, messages)
        ids, offsets = self._encode(r)
        last_idx = max(r.content_spans)
        enc = char_span_to_tokens(offsets, *r.content_spans[last_idx])[1] - 1
        if self.last_token is not None:
            enc = len(ids) + self.last_token
        ids = ids[: self.max_length]
        return ids, min(enc, len(ids) - 1)

    def _full(self, ex: Example) -> tuple[list[int], list[bool], tuple[int, int], tuple[int, int]]:
        if self.plain:
            r = self._render_plain([ex.user, ex.assistant + self.tok.eos_token])
            r = Rendering(r.text, {1: r.content_spans[0], 2: (r.content_spans[1][0], r.content_spans[1][1] - len(self.tok.eos_token))})
        else:
            r = render_messages(self.tok, ex.messages)
        ids, offsets = self._encode(r)
        user = char_span_to_tokens(offsets, *r.content_spans[1])
        assistant = char_span_to_tokens(offsets, *r.content_spans[2])
        if self.label_mode == "as_run":
            labels = [t != self.tok.pad_token_id for t in ids]
        else:
            labels = [False] * len(ids)
            end = assistant[1]
            for i in range(assistant[1], len(ids)):  # up to and including the closing end-of-turn token
                if ids[i] in self.special_ids:
                    end = i + 1
                    break
            else:
                end = len(ids)
            for i in range(assistant[0], end):
                labels[i] = True
        return ids, labels, user, assistant

    def build(self, ex: Example) -> TokenizedExample:
        ids, labels, user, assistant = self._full(ex)
        truncated = len(ids) > self.max_length
        out = TokenizedExample(ids[: self.max_length], labels[: self.max_length],
                               _clip(user, self.max_length), _clip(assistant, self.max_length))
        if self.with_views:
            text_msgs = ex.text or (ex.messages[1],)
            code_msgs = ex.code or (ex.messages[2],)
            if self.reverse_pred:
                text_msgs, code_msgs = code_msgs, text_msgs
            out.source_ids, out.source_enc = self._view(text_msgs, with_preds=True)
            out.target_ids, out.target_enc = self._view(code_msgs, with_preds=False)
            truncated = truncated or max(len(out.source_ids), len(out.target_ids)) >= self.max_length
        out.truncated = truncated
        return out


def _clip(span: tuple[int, int], n: int) -> tuple[int, int]:
    return min(span[0], n), min(span[1], n)
