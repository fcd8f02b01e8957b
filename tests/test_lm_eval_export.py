"""`jepa-bench export-lm-eval`: lm-eval runs our tasks with our prompt, our decoding and our scorers.

The two central tests run lm-eval (0.4.13) on the exported files with an in-memory tiny model and check,
sample by sample, that the harness saw our prompt, produced our output and gave our verdicts. The rest
check the files, the choice of tasks and the errors without a model.
"""
import importlib.util
import json
import sqlite3

import pytest
import yaml

from benchmark.evaluation.evaluate import evaluate, score
from benchmark.evaluation.plan import EvalPlan
from benchmark.evaluation.generate import generation_prompt
from benchmark.evaluation.lm_eval_export import export_lm_eval
from benchmark.evaluation.lm_eval_hooks import align_stopping
from conftest import lively_tiny
from tasks import DataError, UnknownNameError, get_task, load_split
from tasks.base import ScoringContext, ScoringSetupError, Verdict
from conftest import FIXTURE_ROWS, write_jsonl

SETTINGS = EvalPlan(batch_size=4, max_new_tokens=128,  # as the exported max_gen_toks
                    keep_inputs=True)  # the prompts are compared with lm-eval's
LETTERS = "ABCD"


# ----------------------------------------------------------------------------- helpers
@pytest.fixture(scope="module")
def lively():
    """The tiny model with larger random weights (as in tests/test_generate.py), so outputs differ between
    prompts. In addition the (tied) embedding rows of <|im_end|> and <|endoftext|> are scaled up, so both
    become likely next tokens: rows end their turn after different numbers of tokens, within a batch some
    finish while others go on, and six of the eight end on <|endoftext|>, where lm-eval and our engine part
    unless `align_stopping` is applied (without it, doc 0's lm-eval text runs on past the marker)."""
    return lively_tiny(end_of_turn_scale=2.0)


@pytest.fixture
def offline(tmp_path, monkeypatch):
    """lm-eval without a network, and the datasets cache under tmp_path so the test leaves nothing behind."""
    import datasets.config

    cache = tmp_path / "hf"
    for var, value in (("HF_HUB_OFFLINE", "1"), ("HF_DATASETS_OFFLINE", "1"), ("HF_HOME", cache),
                       ("HF_DATASETS_CACHE", cache / "datasets")):
        monkeypatch.setenv(var, str(value))
    # datasets reads these at import time, and another test may have imported it already
    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", cache / "datasets")
    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", True)


def run_lm_eval(model, tok, folder, name: str, chat_template: bool = True) -> tuple[dict, list[dict]]:
    """lm-eval on one exported task: (its results, its logged samples in data order). The default export
    takes the prompt from the model's chat template, which lm-eval applies with apply_chat_template."""
    from lm_eval import simple_evaluate
    from lm_eval.models.huggingface import HFLM
    from lm_eval.tasks import TaskManager

    out = simple_evaluate(model=HFLM(pretrained=model, tokenizer=tok, batch_size=4), tasks=[name],
                          task_manager=TaskManager(include_path=str(folder), include_defaults=False),
                          log_samples=True, limit=8, verbosity="ERROR", apply_chat_template=chat_template)
    return out["results"][name], sorted(out["samples"][name], key=lambda s: s["doc_id"])


def our_answers(model, tok, task, data_dir, out_dir) -> list[dict]:
    """Our engine's evaluation of the split, as stored in predictions.jsonl."""
    evaluate(model, tok, task, load_split(task, "test", data_dir), split="test", plan=SETTINGS, progress=False, out_dir=out_dir)
    return [json.loads(line) for line in (out_dir / "predictions.jsonl").read_text().splitlines()]


def load_yaml(path) -> dict:
    """The YAML with `!function x` read as "!function x" (yaml.safe_load refuses the tag)."""
    class Loader(yaml.SafeLoader):
        pass

    Loader.add_constructor("!function", lambda loader, node: "!function " + loader.construct_scalar(node))
    return yaml.load(path.read_text(), Loader=Loader)


def import_utils(folder):
    spec = importlib.util.spec_from_file_location("exported_utils", folder / "utils.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def hellaswag_rows() -> list[dict]:
    """Eight letter-prompt rows in the authors' HellaSwag format, with their text/code views."""
    system = get_task("hellaswag").system_prompt
    rows = []
    for i, (context, ending) in enumerate(FIXTURE_ROWS):
        endings = [ending, "the quick brown fox", "[0-9].*", "lazy dog"]
        user = context + "".join(f"\n{letter}) {e}" for letter, e in zip(LETTERS, endings))
        rows.append({"messages": [{"role": "system", "content": system}, {"role": "user", "content": user},
                                  {"role": "assistant", "content": LETTERS[i % 4]}],
                     "text": [{"role": "user", "content": context}],
                     "code": [{"role": "assistant", "content": ending}]})
    return rows


def control_gold(i: int, output: str, gold: str) -> str:
    """A random model never writes the fixture's regexes, so every metric would be 0 on both sides: rows
    0, 3, 6 get their own output as gold (all right), rows 1, 4, 7 its first half (prefix right, exact
    wrong), the others keep theirs. Every metric then has rights and wrongs to agree on."""
    return output if i % 3 == 0 else output[: max(1, len(output) // 2)] if i % 3 == 1 else gold


# ----------------------------------------------------------------------------- lm-eval end to end
def test_lm_eval_generates_and_scores_exactly_as_our_engine(lively, data_dir, tmp_path, offline):
    model, tok = lively
    task = get_task("synth")
    answers = our_answers(model, tok, task, data_dir, tmp_path / "ours")
    # Golds are not in the prompt, so rewriting them leaves the outputs as they are.
    rows = [(user, control_gold(i, a["output"], gold))
            for i, (a, (user, gold)) in enumerate(zip(answers, FIXTURE_ROWS))]
    write_jsonl(data_dir / "synth_test.jsonl", rows)
    examples = load_split(task, "test", data_dir)
    records, ours = score(task, examples, answers, ScoringContext(), progress=False)  # rescored, not regenerated

    export_lm_eval(tmp_path / "lm", ["synth"], data_dir=data_dir)
    theirs, samples = run_lm_eval(align_stopping(model, tok), tok, tmp_path / "lm", "jepa_synth")

    assert [s["doc_id"] for s in samples] == list(range(8))
    for s, r, ex in zip(samples, records, examples):
        assert s["arguments"][0][0] == r["prompt"] == generation_prompt(tok, ex.messages)  # the same prompt
        assert s["filtered_resps"][0].strip() == r["output"], s["doc_id"]  # the same generation
        for metric, v in r["verdicts"].items():
            assert s[metric] == (1.0 if v["correct"] else 0.0), (s["doc_id"], metric)  # the same verdicts
    for metric, agg in ours.items():
        assert theirs[f"{metric},none"] == pytest.approx(agg["accuracy"], abs=1e-12)
    # not vacuous: distinct outputs of different lengths, and metrics that are neither all right nor all wrong
    assert len({r["output"] for r in records}) == 8 and len({r["new_tokens"] for r in records}) > 4
    assert 0 < ours["exact"]["accuracy"] < ours["prefix"]["accuracy"] < 1


def test_hellaswag_is_multiple_choice_with_our_next_token_argmax(lively, tmp_path, offline):
    """lm-eval scores "\\nA".."\\nD" after the prompt (it moves the trailing newline into the continuation);
    the newline's log-probability is common to the four, so the argmax is our next-token argmax."""
    model, tok = lively
    task = get_task("hellaswag")
    data = tmp_path / "data"
    data.mkdir()
    (data / "hellaswag_test.jsonl").write_text("".join(json.dumps(r) + "\n" for r in hellaswag_rows()))
    export_lm_eval(tmp_path / "lm", ["hellaswag"], data_dir=data)
    cfg = load_yaml(tmp_path / "lm" / "jepa_hellaswag.yaml")
    assert cfg["output_type"] == "multiple_choice" and cfg["doc_to_choice"] == list(LETTERS)
    assert cfg["doc_to_target"] == "!function utils.gold_index" and cfg["target_delimiter"] == ""

    answers = our_answers(model, tok, task, data, tmp_path / "ours")
    theirs, samples = run_lm_eval(model, tok, tmp_path / "lm", "jepa_hellaswag")
    for s, a in zip(samples, answers):
        assert s["arguments"][0][0] == a["prompt"]
        lls = [float(ll) for ll, _ in s["filtered_resps"]]
        assert LETTERS[lls.index(max(lls))] == a["output"], s["doc_id"]
        assert s["letter"] == (1.0 if a["verdicts"]["letter"]["correct"] else 0.0)
    right = sum(a["verdicts"]["letter"]["correct"] for a in answers)
    assert theirs["letter,none"] == pytest.approx(right / 8, abs=1e-12)
    assert len({a["output"] for a in answers}) > 1  # the model does not answer one letter throughout


# ----------------------------------------------------------------------------- files, without a model
def test_exported_files_are_lm_eval_tasks(data_dir, tmp_path):
    from lm_eval.tasks import TaskManager

    export_lm_eval(tmp_path / "lm", ["synth"], data_dir=data_dir)
    cfg = load_yaml(tmp_path / "lm" / "jepa_synth.yaml")
    assert cfg["dataset_path"] == "json" and cfg["test_split"] == "test"
    assert cfg["custom_dataset"] == "!function utils.dataset_synth" and "dataset_kwargs" not in cfg
    assert cfg["description"] == get_task("synth").system_prompt and cfg["doc_to_text"] == "!function utils.user_text"
    for f in (tmp_path / "lm").iterdir():  # no machine's absolute path anywhere in the export
        assert str(tmp_path) not in f.read_text(), f.name
    assert cfg["output_type"] == "generate_until" and cfg["target_delimiter"] == ""
    assert cfg["generation_kwargs"]["max_gen_toks"] == 128 and cfg["generation_kwargs"]["do_sample"] is False
    assert "<|im_end|>" in cfg["generation_kwargs"]["until"]
    assert cfg["process_results"] == "!function utils.process_results_synth"
    assert [m["metric"] for m in cfg["metric_list"]] == ["exact", "prefix", "dfa"]
    assert cfg["metadata"] == {"version": get_task("synth").version}
    tm = TaskManager(include_path=str(tmp_path / "lm"), include_defaults=False)
    assert "jepa_synth" in tm.all_tasks and "jepa" in tm.all_tasks  # the task, and the tag of all of them


def test_utils_renders_our_prompt_and_scores_with_our_scorers(data_dir, tmp_path, monkeypatch):
    from benchmark.training.models import tiny_tokenizer

    export_lm_eval(tmp_path / "lm", ["synth"], data_dir=data_dir, prompt="chatml")
    assert load_yaml(tmp_path / "lm" / "jepa_synth.yaml")["doc_to_text"] == "!function utils.doc_to_text"
    utils = import_utils(tmp_path / "lm")
    doc = json.loads((data_dir / "synth_test.jsonl").read_text().splitlines()[2])
    gold = doc["messages"][2]["content"]
    assert utils.doc_to_text(doc) == generation_prompt(tiny_tokenizer(), doc["messages"])  # SmolLM2's ChatML
    assert utils.user_text(doc) == doc["messages"][1]["content"]
    assert utils.process_results_synth(doc, [f"  {gold}\n"]) == {"exact": 1.0, "prefix": 1.0, "dfa": 1.0}
    assert utils.process_results_synth(doc, [gold + "x"]) == {"exact": 0.0, "prefix": 1.0, "dfa": 0.0}
    monkeypatch.setattr(utils, "score_all", lambda *a: {"dfa": Verdict(None, "undecided: budget")})
    assert utils.process_results_synth(doc, [gold]) == {"dfa": 0.0}  # undecided counts wrong, as in metrics.json
    monkeypatch.setitem(utils.VERSIONS, "synth", 1)
    utils._task.cache_clear()
    with pytest.raises(RuntimeError, match="export them again"):  # a newer scorer must not pass as the old one
        utils.process_results_synth(doc, [gold])


def test_scoring_context_is_fixed_at_export(tmp_path):
    data = tmp_path / "data"
    rows = [("For db_id:[shop]\n\nHow many singers are there?", "SELECT count(*) FROM singer")]
    write_jsonl(data / "spider_test.jsonl", rows, system=get_task("spider").system_prompt)
    with pytest.raises(ScoringSetupError, match="--spider-db-dir"):
        export_lm_eval(tmp_path / "lm", ["spider"], data_dir=data)
    with pytest.raises(ScoringSetupError, match="missing"):
        export_lm_eval(tmp_path / "lm", ["spider"], data_dir=data, plan=EvalPlan(spider_db_dir=str(tmp_path)))
    assert not (tmp_path / "lm").exists()
    dbs = tmp_path / "db"
    (dbs / "shop").mkdir(parents=True)
    with sqlite3.connect(dbs / "shop" / "shop.sqlite") as con:
        con.executescript("CREATE TABLE singer (singer_id INTEGER, name TEXT); INSERT INTO singer VALUES (1, 'Ann');")
    con.close()
    plan = EvalPlan(spider_db_dir=str(dbs), dfa_timeout=3.0, sql_timeout=4.0, spider_keep_distinct=True)
    export_lm_eval(tmp_path / "lm", ["spider"], data_dir=data, plan=plan)
    utils = import_utils(tmp_path / "lm")
    assert utils.CONTEXT == ScoringContext(spider_db_dir=dbs.resolve(), dfa_timeout=3.0, sql_timeout=4.0,
                                           spider_keep_distinct=True)
    doc = json.loads((data / "spider_test.jsonl").read_text())
    got = utils.process_results_spider(doc, ["SELECT count(singer_id) FROM singer"])
    assert got.keys() == {"exec_original", "exec"} and got["exec"] == 1.0  # exec_original needs the sqlite3 tool


# ----------------------------------------------------------------------------- choosing tasks, errors
def test_default_exports_every_scored_task_whose_file_is_present(data_dir, tmp_path):
    done = export_lm_eval(tmp_path / "lm", data_dir=data_dir)  # the fixture has synth files only
    assert done.tasks == ("synth",)
    assert sorted(p.name for p in (tmp_path / "lm").iterdir()) == ["jepa_synth.yaml", "utils.py"]
    skipped = {note.split(":")[0] for note in done.skipped}
    assert {"turk", "gsm8k", "hellaswag", "spider"} <= skipped and "paraphrase" not in skipped  # no scorer


def test_missing_data_file_is_one_error_and_nothing_is_written(data_dir, tmp_path):
    out = tmp_path / "lm"
    with pytest.raises(DataError, match=r"gsm8k_test\.jsonl not found: fetch it with `jepa-bench data fetch --tasks gsm8k`"):
        export_lm_eval(out, ["synth", "gsm8k"], data_dir=data_dir)
    with pytest.raises(DataError, match="no scored task has its 'test' file"):
        export_lm_eval(out, data_dir=tmp_path / "empty")
    with pytest.raises(UnknownNameError, match="no scorer"):
        export_lm_eval(out, ["paraphrase"], data_dir=data_dir)
    with pytest.raises(UnknownNameError, match="no split file for 'val'"):
        export_lm_eval(out, ["synth"], data_dir=data_dir, split="val")
    assert not out.exists() and not (tmp_path / "lm.partial").exists()


def test_a_non_empty_folder_is_replaced_only_with_overwrite(data_dir, tmp_path):
    out = tmp_path / "lm"
    out.mkdir()
    (out / "mine.yaml").write_text("task: mine\n")
    with pytest.raises(FileExistsError, match="--overwrite"):
        export_lm_eval(out, ["synth"], data_dir=data_dir)
    export_lm_eval(out, ["synth"], data_dir=data_dir, overwrite=True)
    assert sorted(p.name for p in out.iterdir()) == ["jepa_synth.yaml", "utils.py"]


def test_command_line(data_dir, tmp_path, capsys):
    import benchmark.cli

    rc = benchmark.cli.main(["export-lm-eval", str(tmp_path / "lm"), "--tasks", "synth", "--data-dir", str(data_dir),
                             "--max-new-tokens", "64"])
    assert rc == 0
    assert "jepa_synth" in capsys.readouterr().out and (tmp_path / "lm" / "jepa_synth.yaml").is_file()
    cfg = load_yaml(tmp_path / "lm" / "jepa_synth.yaml")
    assert cfg["generation_kwargs"]["max_gen_toks"] == 64  # the plan's max_new_tokens
    rc = benchmark.cli.main(["export-lm-eval", str(tmp_path / "x"), "--tasks", "gsm8k", "--data-dir", str(data_dir)])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and "gsm8k_test.jsonl" in err and len(err.splitlines()) == 1, err


def test_the_data_comes_from_the_recorded_folder_or_the_environment(data_dir, tmp_path, monkeypatch):
    monkeypatch.delenv("JEPA_BENCH_DATA_DIR", raising=False)
    export_lm_eval(tmp_path / "lm", ["synth"], data_dir=data_dir)
    utils = import_utils(tmp_path / "lm")
    rows = utils.dataset_synth(version=2)["test"]
    assert len(rows) == len(FIXTURE_ROWS) and rows[0]["messages"][1]["content"] == FIXTURE_ROWS[0][0]
    moved = tmp_path / "elsewhere"
    write_jsonl(moved / "synth_test.jsonl", FIXTURE_ROWS[:3])
    monkeypatch.setenv("JEPA_BENCH_DATA_DIR", str(moved))
    assert len(utils.dataset_synth()["test"]) == len(FIXTURE_ROWS)  # the recorded file first
    (data_dir / "synth_test.jsonl").unlink()  # the export moved without its data: the environment's folder
    assert len(utils.dataset_synth()["test"]) == 3
    monkeypatch.setenv("JEPA_BENCH_DATA_DIR", str(tmp_path / "nowhere"))
    with pytest.raises(FileNotFoundError, match="jepa-bench data fetch --tasks synth"):
        utils.dataset_synth()


def test_align_stopping_from_the_command_line(data_dir, tmp_path, capsys):
    import benchmark.cli
    from benchmark.evaluation.generate import end_of_turn_ids
    from benchmark.training.models import load_model_and_tokenizer

    model, tok = load_model_and_tokenizer("tiny-random-llama")
    model.save_pretrained(tmp_path / "m")
    tok.save_pretrained(tmp_path / "m")
    assert benchmark.cli.main(["export-lm-eval", str(tmp_path / "lm"), "--tasks", "synth", "--data-dir",
                               str(data_dir), "--align-stopping", str(tmp_path / "m")]) == 0
    saved = json.loads((tmp_path / "m" / "generation_config.json").read_text())
    assert saved["eos_token_id"] == end_of_turn_ids(tok) and len(saved["eos_token_id"]) > 1
    assert "--apply_chat_template" in capsys.readouterr().out
