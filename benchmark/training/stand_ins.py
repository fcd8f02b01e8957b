"""Stand-ins: a tiny random model of each paper model family, offline, for `jepa-bench preflight` and the tests.

A stand-in has the family's transformers architecture class (Llama, Gemma-2, OLMo-2, Qwen2, Qwen3) at a few
thousand parameters per layer, and a tokenizer with the family's special tokens, token roles (BOS, EOS, pad),
BOS handling and a chat template written to match the family's published one (system-turn handling,
end-of-turn tokens, the date and thinking variables; the tool-calling branches are left out, as no task
uses them). So every code path a paper spec takes on the real model (views, Enc positions, packed and
reference layouts, label modes, generation stop tokens) runs on CPU in seconds before a GPU hour is spent.

What a stand-in cannot show: the real model's weights, vocabulary and speed. OpenELM has no stand-in: its
modelling code lives on the hub (`trust_remote_code`) and it uses the Llama-2 tokenizer, both of which a
GPU user must be able to download (`OPENELM_NEEDS`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import torch

# Published templates, trimmed of their tool-calling branches (sources: the `chat_template` of each model's
# tokenizer_config.json on the Hugging Face hub).
LLAMA3_TEMPLATE = (  # meta-llama/Llama-3.2-1B-Instruct (the same header logic as Llama-3.1-8B-Instruct)
    '{{- bos_token }}\n'
    '{%- if not date_string is defined %}\n'
    '    {%- if strftime_now is defined %}\n'
    '        {%- set date_string = strftime_now("%d %b %Y") %}\n'
    '    {%- else %}\n'
    '        {%- set date_string = "26 Jul 2024" %}\n'
    '    {%- endif %}\n'
    '{%- endif %}\n'
    "{%- if messages[0]['role'] == 'system' %}\n"
    "    {%- set system_message = messages[0]['content']|trim %}\n"
    '    {%- set messages = messages[1:] %}\n'
    '{%- else %}\n'
    '    {%- set system_message = "" %}\n'
    '{%- endif %}\n'
    '{{- "<|start_header_id|>system<|end_header_id|>\\n\\n" }}\n'
    '{{- "Cutting Knowledge Date: December 2023\\n" }}\n'
    '{{- "Today Date: " + date_string + "\\n\\n" }}\n'
    '{{- system_message }}\n'
    '{{- "<|eot_id|>" }}\n'
    '{%- for message in messages %}\n'
    "    {{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | trim + "
    "'<|eot_id|>' }}\n"
    '{%- endfor %}\n'
    '{%- if add_generation_prompt %}\n'
    "    {{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}\n"
    '{%- endif %}\n'
)
GEMMA2_TEMPLATE = (  # google/gemma-2-2b-it
    "{{ bos_token }}{% if messages[0]['role'] == 'system' %}{{ raise_exception('System role not supported') }}"
    "{% endif %}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
    "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}"
    "{% if (message['role'] == 'assistant') %}{% set role = 'model' %}{% else %}{% set role = message['role'] %}"
    "{% endif %}{{ '<start_of_turn>' + role + '\\n' + message['content'] | trim + '<end_of_turn>\\n' }}{% endfor %}"
    "{% if add_generation_prompt %}{{'<start_of_turn>model\\n'}}{% endif %}"
)
OLMO2_TEMPLATE = (  # allenai/OLMo-2-0425-1B-Instruct, allenai/OLMo-2-1124-7B-Instruct
    "{{ bos_token }}{% for message in messages %}{% if message['role'] == 'system' %}"
    "{{ '<|system|>\\n' + message['content'] + '\\n' }}{% elif message['role'] == 'user' %}"
    "{{ '<|user|>\\n' + message['content'] + '\\n' }}{% elif message['role'] == 'assistant' %}"
    "{% if not loop.last %}{{ '<|assistant|>\\n'  + message['content'] + eos_token + '\\n' }}"
    "{% else %}{{ '<|assistant|>\\n'  + message['content'] + eos_token }}{% endif %}{% endif %}"
    "{% if loop.last and add_generation_prompt %}{{ '<|assistant|>\\n' }}{% endif %}{% endfor %}"
)
QWEN3_TEMPLATE = (  # Qwen/Qwen3-1.7B
    "{%- if messages[0].role == 'system' %}\n"
    "    {{- '<|im_start|>system\\n' + messages[0].content + '<|im_end|>\\n' }}\n"
    "{%- endif %}\n"
    "{%- set ns = namespace(multi_step_tool=true, last_query_index=messages|length - 1) %}\n"
    "{%- for message in messages[::-1] %}\n"
    "    {%- set index = (messages|length - 1) - loop.index0 %}\n"
    "    {%- if ns.multi_step_tool and message.role == \"user\" and message.content is string and "
    "not(message.content.startswith('<tool_response>') and message.content.endswith('</tool_response>')) %}\n"
    "        {%- set ns.multi_step_tool = false %}\n"
    "        {%- set ns.last_query_index = index %}\n"
    "    {%- endif %}\n"
    "{%- endfor %}\n"
    "{%- for message in messages %}\n"
    "    {%- if message.content is string %}\n"
    "        {%- set content = message.content %}\n"
    "    {%- else %}\n"
    "        {%- set content = '' %}\n"
    "    {%- endif %}\n"
    "    {%- if (message.role == \"user\") or (message.role == \"system\" and not loop.first) %}\n"
    "        {{- '<|im_start|>' + message.role + '\\n' + content + '<|im_end|>' + '\\n' }}\n"
    "    {%- elif message.role == \"assistant\" %}\n"
    "        {%- set reasoning_content = '' %}\n"
    "        {%- if message.reasoning_content is string %}\n"
    "            {%- set reasoning_content = message.reasoning_content %}\n"
    "        {%- else %}\n"
    "            {%- if '</think>' in content %}\n"
    "                {%- set reasoning_content = content.split('</think>')[0].rstrip('\\n').split('<think>')[-1]"
    ".lstrip('\\n') %}\n"
    "                {%- set content = content.split('</think>')[-1].lstrip('\\n') %}\n"
    "            {%- endif %}\n"
    "        {%- endif %}\n"
    "        {%- if loop.index0 > ns.last_query_index %}\n"
    "            {%- if loop.last or (not loop.last and reasoning_content) %}\n"
    "                {{- '<|im_start|>' + message.role + '\\n<think>\\n' + reasoning_content.strip('\\n') + "
    "'\\n</think>\\n\\n' + content.lstrip('\\n') }}\n"
    "            {%- else %}\n"
    "                {{- '<|im_start|>' + message.role + '\\n' + content }}\n"
    "            {%- endif %}\n"
    "        {%- else %}\n"
    "            {{- '<|im_start|>' + message.role + '\\n' + content }}\n"
    "        {%- endif %}\n"
    "        {{- '<|im_end|>\\n' }}\n"
    "    {%- endif %}\n"
    "{%- endfor %}\n"
    "{%- if add_generation_prompt %}\n"
    "    {{- '<|im_start|>assistant\\n' }}\n"
    "    {%- if enable_thinking is defined and enable_thinking is false %}\n"
    "        {{- '<think>\\n\\n</think>\\n\\n' }}\n"
    "    {%- endif %}\n"
    "{%- endif %}"
)
R1_DISTILL_TEMPLATE = (  # deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B
    "{% if not add_generation_prompt is defined %}{% set add_generation_prompt = false %}{% endif %}"
    "{% set ns = namespace(is_first=false, is_tool=false, is_output_first=true, system_prompt='') %}"
    "{%- for message in messages %}{%- if message['role'] == 'system' %}{% set ns.system_prompt = message['content'] %}"
    "{%- endif %}{%- endfor %}{{bos_token}}{{ns.system_prompt}}{%- for message in messages %}"
    "{%- if message['role'] == 'user' %}{%- set ns.is_tool = false -%}{{'<｜User｜>' + message['content']}}{%- endif %}"
    "{%- if message['role'] == 'assistant' and message['content'] is not none %}{% set content = message['content'] %}"
    "{% if '</think>' in content %}{% set content = content.split('</think>')[-1] %}{% endif %}"
    "{{'<｜Assistant｜>' + content + '<｜end▁of▁sentence｜>'}}{%- endif %}{%- endfor -%}"
    "{% if add_generation_prompt and not ns.is_tool %}{{'<｜Assistant｜><think>\\n'}}{% endif %}"
)

_TINY_CORPUS = """
lines with words with a number and a character or the string 'dog'
lines containing a vowel followed by a lower-case letter, zero or more times
items with the string 'truck' before a capital letter at least 3 times
Convert natural language to regular expression. Convert natural language to SQL.
What are the names of all the playlists? SELECT name FROM playlists WHERE id = 3 ORDER BY name;
Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May.
#### 72 The answer is 42. Good Bad Very Good Very Bad. The quick brown fox jumps over the lazy dog.
You are a helpful AI assistant named SmolLM, trained by Hugging Face
\\b([AEIOUaeiou])&([a-z])\\b (.*dog.*)|(truck) ~((ring){3,}) [0-9] [A-Z] [a-z] .* lake
"""


def bpe_tokenizer(specials: list[str], *, bos: str | None, eos: str, pad: str | None, unk: str | None = None):
    """A byte-level BPE (vocabulary ~600) trained deterministically on a built-in corpus, with `specials` as
    its first ids, for test models of any chat family."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=600, special_tokens=list(specials), initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    bpe.train_from_iterator([_TINY_CORPUS] * 4, trainer=trainer)
    roles = {"bos_token": bos, "eos_token": eos, "pad_token": pad, "unk_token": unk}
    return PreTrainedTokenizerFast(tokenizer_object=bpe, **{k: v for k, v in roles.items() if v is not None})


# Layer sizes shared by every stand-in: two layers (Gemma-2 then has one sliding and one global layer).
_TINY = dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2, intermediate_size=64,
             max_position_embeddings=2048)


@dataclass(frozen=True)
class Family:
    name: str  # the stand-in's model name (`--model stand-in-gemma2`)
    stands_for: str  # regex over hub ids
    architecture: str  # the transformers config class
    model_class: str
    template: str
    specials: tuple[str, ...]  # added as special tokens, in this order (the first get the lowest ids)
    bos: str | None
    eos: str
    pad: str | None  # None: the tokenizer has none (the suite then sets pad = eos, as the authors)
    end_of_turn: str  # the token that closes an assistant turn (generation stops there)
    adds_bos: bool  # whether tokenizing text adds BOS (the templates already write it: the suite never asks)
    config: dict = field(default_factory=dict)  # the family's architectural settings beyond _TINY
    why: str = ""


FAMILIES = (
    Family("stand-in-llama3", r"meta-llama/(Meta-)?Llama-3", "LlamaConfig", "LlamaForCausalLM", LLAMA3_TEMPLATE,
           ("<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"),
           bos="<|begin_of_text|>", eos="<|eot_id|>", pad=None, end_of_turn="<|eot_id|>", adds_bos=True,
           config=dict(tie_word_embeddings=True, rope_theta=500000.0),
           why="Llama-3.1/3.2 Instruct: date in the system header, BOS in the template, pad = eos = <|eot_id|>"),
    Family("stand-in-gemma2", r"google/gemma-2", "Gemma2Config", "Gemma2ForCausalLM", GEMMA2_TEMPLATE,
           ("<pad>", "<eos>", "<bos>", "<unk>", "<start_of_turn>", "<end_of_turn>"),
           bos="<bos>", eos="<eos>", pad="<pad>", end_of_turn="<end_of_turn>", adds_bos=True,
           # the real window is 4096; a short one here so the sliding layer's mask matters in a test
           config=dict(head_dim=8, query_pre_attn_scalar=8, final_logit_softcapping=30.0,
                       attn_logit_softcapping=50.0, sliding_window=24, tie_word_embeddings=True),
           why="Gemma-2: no system role, EOS is not the end-of-turn token, logit soft-capping, sliding window"),
    Family("stand-in-olmo2", r"allenai/OLMo-2", "Olmo2Config", "Olmo2ForCausalLM", OLMO2_TEMPLATE,
           ("<|endoftext|>", "<|pad|>"), bos="<|endoftext|>", eos="<|endoftext|>", pad="<|pad|>",
           end_of_turn="<|endoftext|>", adds_bos=False, config=dict(tie_word_embeddings=False),
           why="OLMo-2: norms after attention and MLP (and on q, k), bos = eos, the turn closed by eos"),
    Family("stand-in-qwen3", r"Qwen/Qwen3", "Qwen3Config", "Qwen3ForCausalLM", QWEN3_TEMPLATE,
           ("<|endoftext|>", "<|im_start|>", "<|im_end|>"), bos=None, eos="<|im_end|>", pad="<|endoftext|>",
           end_of_turn="<|im_end|>", adds_bos=False, config=dict(head_dim=8, tie_word_embeddings=True),
           why="Qwen3: ChatML with a thinking block and the enable_thinking variable, q/k norms, no BOS"),
    Family("stand-in-r1-distill-qwen", r"deepseek-ai/DeepSeek-R1-Distill-Qwen", "Qwen2Config", "Qwen2ForCausalLM",
           R1_DISTILL_TEMPLATE, ("<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>", "<｜User｜>", "<｜Assistant｜>"),
           bos="<｜begin▁of▁sentence｜>", eos="<｜end▁of▁sentence｜>", pad="<｜end▁of▁sentence｜>",
           end_of_turn="<｜end▁of▁sentence｜>", adds_bos=True, config=dict(tie_word_embeddings=False),
           why="DeepSeek-R1-Distill-Qwen: Qwen2 with qkv bias, full-width specials, <think> opened by the prompt"),
)
STAND_INS = {f.name: f for f in FAMILIES}
STAND_IN_HIDDEN_SIZE = _TINY["hidden_size"]
# What a GPU user must provide for OpenELM, which has no offline stand-in.
OPENELM_NEEDS = ("apple/OpenELM-*: modelling code from the hub (trust_remote_code, a `trainer_args`-free load with "
                 "`trust_remote_code=True`) and the Llama-2 tokenizer (meta-llama/Llama-2-7b-hf, gated: accept its "
                 "licence and log in with `huggingface-cli login`); neither can be checked offline")
_NO_STAND_IN = {r"apple/OpenELM": OPENELM_NEEDS}


def stand_in_for(model: str) -> str | None:
    """The stand-in of a hub model id, or None (no stand-in: see `no_stand_in`)."""
    return next((f.name for f in FAMILIES if re.match(f.stands_for, model)), None)


def no_stand_in(model: str) -> str:
    """Why `model` has no stand-in, and what a GPU user must provide for it."""
    for pattern, needs in _NO_STAND_IN.items():
        if re.match(pattern, model):
            return needs
    return (f"{model}: no stand-in of its family (stand-ins: {', '.join(STAND_INS)}); run it where the hub is "
            "reachable, or add a Family to benchmark/training/stand_ins.py")


def stand_in_tokenizer(name: str):
    """The family's tokenizer: a tiny BPE with the family's specials, roles, BOS handling and chat template."""
    from tokenizers import processors

    fam = STAND_INS[name]
    tok = bpe_tokenizer(list(fam.specials), bos=fam.bos, eos=fam.eos, pad=fam.pad)
    tok.chat_template = fam.template
    if fam.adds_bos:  # as the family's tokenizer: `tok(text)` prepends BOS (the suite passes add_special_tokens=False)
        bos_id = tok.convert_tokens_to_ids(fam.bos)
        tok.backend_tokenizer.post_processor = processors.TemplateProcessing(
            single=f"{fam.bos} $A", pair=f"{fam.bos} $A $B", special_tokens=[(fam.bos, bos_id)])
    return tok


def stand_in_model(name: str, tok, seed: int):
    """The family's architecture at _TINY size, randomly initialised from `seed`, for the tokenizer `tok`."""
    import transformers

    fam = STAND_INS[name]
    ids = {f"{role}_token_id": tok.convert_tokens_to_ids(token)
           for role, token in (("bos", fam.bos), ("eos", fam.eos), ("pad", fam.pad or fam.eos)) if token}
    config = getattr(transformers, fam.architecture)(vocab_size=len(tok), **_TINY, **fam.config, **ids)
    torch.manual_seed(seed)
    return getattr(transformers, fam.model_class)(config)
