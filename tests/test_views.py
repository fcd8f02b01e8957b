"""Views, Enc positions and label modes, on the chat templates of the paper's model families."""
import pytest

from benchmark.training.models import add_special_tokens, tiny_tokenizer
from benchmark.training.views import ViewBuilder, render_messages

# Templates written to match the families' published chat templates (trimmed to the parts these
# conversations use). The authors' offsets are from their run scripts (https://github.com/rbalestr-lab/llm-jepa/blob/dd6196630f97016f7a607b0ac74f5e378ddf25db/run.sh).
LLAMA3 = ("{{ bos_token }}{% for m in messages %}{{ '<|start_header_id|>' + m['role'] + '<|end_header_id|>\n\n'"
          " + m['content'] | trim + '<|eot_id|>' }}{% endfor %}")
GEMMA2 = ("{{ bos_token }}{% if messages[0]['role'] == 'system' %}{{ raise_exception('System role not supported') }}"
          "{% endif %}{% for m in messages %}{% if (m['role'] == 'user') != (loop.index0 % 2 == 0) %}"
          "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}"
          "{% set role = 'model' if m['role'] == 'assistant' else m['role'] %}"
          "{{ '<start_of_turn>' + role + '\n' + m['content'] | trim + '<end_of_turn>\n' }}{% endfor %}")
OLMO2 = ("{{ bos_token }}{% for m in messages %}{% if m['role'] == 'system' %}{{ '<|system|>\n' + m['content'] + '\n' }}"
         "{% elif m['role'] == 'user' %}{{ '<|user|>\n' + m['content'] + '\n' }}{% elif m['role'] == 'assistant' %}"
         "{% if not loop.last %}{{ '<|assistant|>\n' + m['content'] + eos_token + '\n' }}{% else %}"
         "{{ '<|assistant|>\n' + m['content'] + eos_token }}{% endif %}{% endif %}{% endfor %}")
QWEN = ("{% for m in messages %}{{ '<|im_start|>' + m['role'] + '\n' + m['content'] + '<|im_end|>' + '\n' }}{% endfor %}")


def family_tokenizer(template, specials=()):
    tok = tiny_tokenizer()
    tok.chat_template = template
    add_special_tokens(tok, list(specials))
    add_special_tokens(tok, [f"<|predictor_{i}|>" for i in range(1, 11)])
    return tok


def offset_from_end(ids, pos):
    return pos - len(ids)


USER, ASSISTANT = "lines with the string 'dog'", ".*dog.*"


@pytest.mark.parametrize("name,template,specials,authors", [
    ("smollm2/chatml", None, (), -3),
    ("qwen", QWEN, (), -3),
    ("llama3", LLAMA3, ("<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"), -2),
])
@pytest.mark.parametrize("k", [0, 1, 3])
def test_derived_enc_position_equals_the_authors_offset(examples, name, template, specials, authors, k):
    tok = family_tokenizer(template or tiny_tokenizer().chat_template, specials)
    built = ViewBuilder(tok, predictors=k).build(examples[0])
    assert offset_from_end(built.source_ids, built.source_enc) == authors
    assert offset_from_end(built.target_ids, built.target_enc) == authors
    override = ViewBuilder(tok, predictors=k, last_token=authors).build(examples[0])
    assert (override.source_enc, override.target_enc) == (built.source_enc, built.target_enc)
    if k:  # Pred(Enc(Text)) is read at the last predictor token, <|predictor_1|>
        assert tok.convert_ids_to_tokens(built.source_ids[built.source_enc]) == "<|predictor_1|>"


def test_gemma_and_olmo_authors_offsets_pick_a_template_token(examples):
    """On Gemma-2 and OLMo-2 the authors' offsets select the end-of-turn / trailing token, not the last
    content token. The derived position is the last content token on every family; `last_token`
    reproduces the authors exactly where a comparison with their runs needs it."""
    gemma = family_tokenizer(GEMMA2, ("<start_of_turn>", "<end_of_turn>"))
    g = ViewBuilder(gemma, predictors=1).build(examples[0])
    assert gemma.convert_ids_to_tokens(g.source_ids[g.source_enc]) == "<|predictor_1|>"
    assert offset_from_end(g.source_ids, g.source_enc) == -3
    ga = ViewBuilder(gemma, predictors=1, last_token=-2).build(examples[0])
    assert gemma.convert_ids_to_tokens(ga.source_ids[ga.source_enc]) == "<end_of_turn>"
    # Gemma has no system role and no assistant-first turn: merged and relabelled as the authors do.
    assert "<start_of_turn>user\nConvert natural language" in render_messages(gemma, examples[0].messages).text

    olmo = family_tokenizer(OLMO2, ("<|user|>", "<|assistant|>", "<|system|>"))
    o = ViewBuilder(olmo, predictors=0).build(examples[0])
    assert offset_from_end(o.target_ids, o.target_enc) == -2  # content, then eos
    oa = ViewBuilder(olmo, predictors=0, last_token=-1).build(examples[0])
    assert oa.target_ids[oa.target_enc] == olmo.eos_token_id


def test_front_and_reverse_pred(examples):
    tok = tiny_tokenizer()
    add_special_tokens(tok, [f"<|predictor_{i}|>" for i in range(1, 11)])
    front = ViewBuilder(tok, predictors=2, front_pred=True).build(examples[1])
    text = tok.decode(front.source_ids)
    assert "<|predictor_2|><|predictor_1|>lines with" in text
    assert tok.convert_ids_to_tokens(front.source_ids[front.source_enc]) != "<|predictor_1|>"
    rev = ViewBuilder(tok, predictors=1, reverse_pred=True).build(examples[1])
    assert "<|im_start|>assistant" in tok.decode(rev.source_ids) and "<|predictor_1|>" in tok.decode(rev.source_ids)
    assert "<|im_start|>user" in tok.decode(rev.target_ids)


def test_label_modes(examples, tiny):
    _, tok = tiny
    ex = examples[0]
    as_run = ViewBuilder(tok, label_mode="as_run").build(ex)
    assistant = ViewBuilder(tok, label_mode="assistant").build(ex)
    # as_run: every non-pad token, so the end-of-turn token (pad = eos) is never a target
    assert as_run.full_labels == [t != tok.pad_token_id for t in as_run.full_ids]
    assert not any(keep for t, keep in zip(as_run.full_ids, as_run.full_labels) if t == tok.eos_token_id)
    # assistant: the assistant content plus its closing <|im_end|>, nothing else
    picked = [t for t, keep in zip(assistant.full_ids, assistant.full_labels) if keep]
    assert tok.decode(picked) == ex.assistant + "<|im_end|>"


def test_spans_locate_user_and_assistant_content(examples, tiny):
    _, tok = tiny
    b = ViewBuilder(tok).build(examples[2])
    assert tok.decode(b.full_ids[slice(*b.user_span)]) == examples[2].user
    assert tok.decode(b.full_ids[slice(*b.assistant_span)]) == examples[2].assistant


def test_hellaswag_rows_use_their_own_views(tiny):
    from tasks.jsonl import Example
    _, tok = tiny
    ex = Example(({"role": "system", "content": "Pick A-D."}, {"role": "user", "content": "ctx\nA) x\nB) y"},
                  {"role": "assistant", "content": "A"}),
                 text=({"role": "user", "content": "the context"},), code=({"role": "assistant", "content": "the ending"},))
    b = ViewBuilder(tok, predictors=1).build(ex)
    assert "the context<|predictor_1|>" in tok.decode(b.source_ids)
    assert "the ending" in tok.decode(b.target_ids) and "A)" not in tok.decode(b.target_ids)


def test_plain_mode_renders_raw_strings(examples):
    from benchmark.training.models import load_model_and_tokenizer
    _, tok = load_model_and_tokenizer("tiny-random-llama", plain=True)
    b = ViewBuilder(tok, predictors=1, plain=True).build(examples[0])
    assert tok.decode(b.full_ids) == examples[0].user + "<|perception|>" + examples[0].assistant + "<|im_end|>"
    assert tok.decode(b.source_ids) == examples[0].user + "<|predictor_1|>"
    assert tok.decode(b.target_ids) == examples[0].assistant


def test_truncation_keeps_enc_inside(examples, tiny):
    _, tok = tiny
    b = ViewBuilder(tok, predictors=1, max_length=10).build(examples[0])
    assert b.truncated and len(b.full_ids) == 10 and b.source_enc == 9 and b.target_enc <= 9
