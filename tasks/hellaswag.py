"""HellaSwag with the authors' letter prompt: context + four endings -> A, B, C or D.

Row: {"messages": [{"role": "system", "content": "Which one of A), B), C), or D) is the best ending for the
                    context? Answer A, B, C, or D."},
                   {"role": "user", "content": "[header] How to shop for makeup ...\\nA) ...\\nB) ...\\nC) ...\\nD) ..."},
                   {"role": "assistant", "content": "A"}],
      "text": [{"role": "user", "content": "<context>"}], "code": [{"role": "assistant", "content": "<gold ending>"}]}

Scored as in the authors' evaluate.py (`relative_probability`): no generation; the next-token
distribution after the generation prompt is compared over the tokens A, B, C and D and the argmax is the
answer. The JEPA views are the row's own `text` and `code` fields (the letter prompt is not a view).
lm-eval's `hellaswag` is log-likelihood over the endings, a different protocol.
"""
from tasks.base import Metric, Task, Verdict, register


def _letter(output, ex, ctx) -> Verdict:
    return Verdict(output == ex.assistant.strip(), extracted=output)


register(Task(
    name="hellaswag", version=2, family="hellaswag", source="rbalestr-lab/llm-jepa datasets/", license="MIT",
    files={"test": "hellaswag_test.jsonl"}, views="text_code", notes="no training file is provided upstream",
    fixtures=(("A man holds a ladder.\nA) He climbs it.\nB) He eats it.\nC) It sings.\nD) It flies.", "A",
               "A man holds a ladder.", "He climbs it."),),
    system_prompt="Which one of A), B), C), or D) is the best ending for the context? Answer A, B, C, or D.",
    kind="choice", choices=("A", "B", "C", "D"),
    metrics=(Metric("letter", _letter, "argmax of next-token probability over A/B/C/D equals the gold letter",
                    parity=True),),
    main_metric="letter",
    changelog=("files and views", "scorer: letter (next-token argmax over A-D)"),
))
