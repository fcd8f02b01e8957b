"""`jepa-bench export-lm-eval DIR`: our tasks as lm-eval task files scored by our scorers."""
from __future__ import annotations

import argparse

from pathlib import Path

from benchmark.cli.flags import add_flags, collect, comma_list
from benchmark.evaluation.plan import EvalPlan, scoped_fields

HELP = "write lm-eval task files that score with jepa-bench's scorers"
EPILOG = """example:
  jepa-bench export-lm-eval lm_tasks --tasks synth,gsm8k
  lm_eval --include_path lm_tasks --tasks jepa_synth,jepa_gsm8k --model hf --model_args pretrained=<model>"""
EXPORTED = scoped_fields("score") + ("max_new_tokens",)  # what lm-eval runs with from our plan


def register(sub) -> None:
    p = sub.add_parser("export-lm-eval", help=HELP, description=HELP, epilog=EPILOG,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("dir", help="folder to write jepa_<task>.yaml and utils.py into")
    p.add_argument("--tasks", default=None,
                   help="comma-separated task names (default: every scored task whose split file is present)")
    p.add_argument("--data-dir", default=None, help="folder of the upstream JSONL files")
    p.add_argument("--split", default="test", help="split file the tasks evaluate on (default: test)")
    p.add_argument("--overwrite", action="store_true", help="replace a non-empty DIR")
    p.add_argument("--prompt", choices=("chat-template", "chatml"), default="chat-template",
                   help="chat-template: the model's own template (run lm_eval with --apply_chat_template); chatml: "
                        "SmolLM2's ChatML rendered by the hooks (default: chat-template)")
    p.add_argument("--align-stopping", metavar="MODEL_DIR", default=None,
                   help="also write every end-of-turn id into MODEL_DIR/generation_config.json, so lm-eval's HF "
                        "backend stops where `jepa-bench evaluate` does")
    add_flags(p.add_argument_group("the evaluation plan's scoring and decoding (EvalPlan)"), EvalPlan,
              skip=tuple(f for f in scoped_fields("select", "generate", "score", "run", "output") if f not in EXPORTED))
    p.set_defaults(handler=run)


def run(ns) -> int:
    from benchmark.evaluation.lm_eval_export import PREFIX, export_lm_eval
    from benchmark.training.options import ConfigError

    plan = EvalPlan.from_dict(collect(ns, EvalPlan))
    if ns.align_stopping and not (Path(ns.align_stopping) / "config.json").is_file():
        raise ConfigError(f"--align-stopping {ns.align_stopping}: not a saved model folder (no config.json)")
    done = export_lm_eval(ns.dir, comma_list(ns.tasks), data_dir=ns.data_dir, split=ns.split, plan=plan,
                          overwrite=ns.overwrite, prompt=ns.prompt)
    for note in done.skipped:
        print(f"skipped {note}")
    names = ",".join(PREFIX + n for n in done.tasks)
    print(f"wrote {names} to {done.out_dir}")
    if ns.align_stopping:
        from benchmark.evaluation.lm_eval_hooks import align_stopping_folder

        print(f"end-of-turn ids {align_stopping_folder(ns.align_stopping)} written to "
              f"{Path(ns.align_stopping) / 'generation_config.json'}")
    flag = " --apply_chat_template" if ns.prompt == "chat-template" else ""
    print(f"run: lm_eval --include_path {done.out_dir} --tasks {names}{flag} "
          "--model hf --model_args pretrained=<model> --log_samples --output_path <out>")
    return 0
