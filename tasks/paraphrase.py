"""Paraphrase pretraining (paper §4.1 (b), Table 9): paraphrase i -> paraphrase i + 1, no chat template.

Row: {"messages": [{"role": "system", "content": ""},
                   {"role": "user", "content": "How do I improve my English speaking?"},
                   {"role": "assistant", "content": "What can I do to speak English better?"}]}
Built from cestwc/paraphrase (groups of five paraphrases). Trained with `--plain` (query and answer joined by
<|perception|>, LM loss on all tokens) for 4 epochs, then fine-tuned for one epoch on Rotten Tomatoes or Yelp
without the JEPA term and scored by label prefix match. The upstream training file is not among the files
provided to this project, so this task has views but no scorer and no test split.
"""
from tasks.base import Task, register

register(Task(
    name="paraphrase", version=1, family="paraphrase", source="rbalestr-lab/llm-jepa datasets/ (cestwc/paraphrase)",
    license="see cestwc/paraphrase", files={"train": "paraphrase_train.jsonl"},
    fixtures=(("How do I learn English?", "What is the way to learn English?"),),
    system_prompt="",  # not checked against data we have; the authors train it with --plain (no template)
    notes="pretraining views only (--plain); the file is not provided upstream to this project",
    changelog=("views for --plain pretraining (no scorer)",),
))
