"""Prompts are fixed by the config, not by the calendar: the Llama-3 date and Qwen3's thinking switch are config
fields, pinned into the tokenizer's template, so training views, generation prompts and a saved model's
tokenizer (what `evaluate --run`, `represent` and lm-eval read) render the same text on every day."""
import datetime

import pytest

from benchmark.evaluation.generate import generation_prompt
from benchmark.runs.spec import RunSpec
from benchmark.training.chat import DEFAULT_DATE_STRING, is_pinned, pin_template_variables, template_variables
from benchmark.training.config import TrainConfig
from benchmark.training.models import load_model_and_tokenizer, tiny_tokenizer
from benchmark.training.stand_ins import LLAMA3_TEMPLATE, stand_in_tokenizer
from benchmark.training.views import ViewBuilder


class _Day:
    def __init__(self, when: datetime.datetime):
        self.when = when

    def now(self, tz=None):
        return self.when


def _on(monkeypatch, year, month, day):
    import transformers.utils.chat_template_utils as ctu

    monkeypatch.setattr(ctu, "datetime", _Day(datetime.datetime(year, month, day)))


def _renders(tok, example):
    built = ViewBuilder(tok, predictors=1).build(example)
    return (tuple(built.full_ids), tuple(built.source_ids), tuple(built.target_ids),
            generation_prompt(tok, example.messages))


def test_the_raw_llama3_template_writes_today(monkeypatch, examples):
    """The trap itself: without a pinned date, the published template renders the calendar's day."""
    tok = stand_in_tokenizer("stand-in-llama3")
    assert tok.chat_template == LLAMA3_TEMPLATE
    _on(monkeypatch, 2026, 1, 2)
    monday = generation_prompt(tok, examples[0].messages)
    _on(monkeypatch, 2026, 12, 7)
    assert "Today Date: 07 Dec 2026" in generation_prompt(tok, examples[0].messages)
    assert "Today Date: 02 Jan 2026" in monday


def test_the_same_example_renders_byte_identical_on_two_days(monkeypatch, examples):
    _, tok = load_model_and_tokenizer("stand-in-llama3", seed=0)
    assert is_pinned(tok)
    _on(monkeypatch, 2026, 1, 2)
    first = _renders(tok, examples[0])
    _on(monkeypatch, 2026, 12, 7)
    assert _renders(tok, examples[0]) == first
    assert f"Today Date: {DEFAULT_DATE_STRING}\n" in first[3]


def test_the_config_date_reaches_every_rendering_and_the_run_id(monkeypatch, examples, tmp_path):
    cfg = TrainConfig(model="stand-in-llama3", date_string="01 Mar 2025")
    _, tok = load_model_and_tokenizer(cfg.model, template_variables=template_variables(cfg))
    views, prompt = _renders(tok, examples[0])[:3], _renders(tok, examples[0])[3]
    assert "Today Date: 01 Mar 2025" in prompt and "Today Date: 01 Mar 2025" in tok.decode(list(views[1]))
    # a saved model's tokenizer keeps the pin: what `evaluate --run`, `represent` and lm-eval load
    tok.save_pretrained(tmp_path)
    from transformers import AutoTokenizer

    again = AutoTokenizer.from_pretrained(tmp_path)
    _on(monkeypatch, 2030, 5, 5)
    assert generation_prompt(again, examples[0].messages) == prompt
    _, reloaded = load_model_and_tokenizer("stand-in-llama3")  # no variables given: the defaults
    assert "Today Date: 26 Jul 2024" in generation_prompt(reloaded, examples[0].messages)
    # the default is not in the id (committed ids stay); another date is another run
    assert "date_string" not in TrainConfig().identity() and "enable_thinking" not in TrainConfig().identity()
    assert RunSpec(cfg).run_id != RunSpec(TrainConfig(model="stand-in-llama3")).run_id


def test_enable_thinking_reaches_the_qwen3_generation_prompt(examples):
    off = TrainConfig(model="stand-in-qwen3", enable_thinking=False)
    _, tok = load_model_and_tokenizer(off.model, template_variables=template_variables(off))
    assert generation_prompt(tok, examples[0].messages).endswith("<|im_start|>assistant\n<think>\n\n</think>\n\n")
    _, default = load_model_and_tokenizer("stand-in-qwen3")
    assert generation_prompt(default, examples[0].messages).endswith("<|im_start|>assistant\n")
    assert RunSpec(off).run_id != RunSpec(TrainConfig(model="stand-in-qwen3")).run_id


def test_a_template_without_variables_renders_byte_identical_pinned_or_not(examples):
    """SmolLM2's ChatML reads no variable: pinning changes nothing it renders (committed runs stay valid)."""
    raw = tiny_tokenizer()
    pinned = tiny_tokenizer()
    pin_template_variables(pinned, {"date_string": "01 Jan 2000", "enable_thinking": False})
    pin_template_variables(pinned, template_variables())  # pinning again replaces, never stacks
    assert pinned.chat_template.count("set date_string") == 1 and "enable_thinking" not in pinned.chat_template
    for ex in examples:
        assert _renders(pinned, ex) == _renders(raw, ex)


@pytest.mark.parametrize("value,literal", [("26 Jul 2024", '"26 Jul 2024"'), ('a "quoted" day', r'"a \"quoted\" day"'),
                                           (False, "false"), (True, "true")])
def test_values_are_written_as_jinja_literals(value, literal):
    from benchmark.training.chat import pinned_template

    assert f"set x = {literal}" in pinned_template("{{ x }}", {"x": value})
