"""The upstream data files of the paper's tasks: the size and sha256 of each file in the authors' repository
(rbalestr-lab/llm-jepa `datasets/`). `jepa-bench data fetch` downloads and verifies them
(benchmark/data/fetch.py); a task whose file is missing names that command only for the files listed here.
Literal constants on purpose: a changed upstream file must fail loudly, never be silently accepted."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Artifact:
    size: int  # bytes
    sha256: str | None  # lower-case hex; None = not pinned (only the size is verified)


FILES: dict[str, Artifact] = {
    "synth_train.jsonl": Artifact(2089621, "ca959f108fb5a9c363910bca46cd9de69ead3bac016ed2564c74be39ba634e46"),
    "synth_test.jsonl": Artifact(521305, "acfce67c9284bb97dc0b89ad9412b00f6464faf2dfbd2581dd4930140716e45d"),
    "turk_train.jsonl": Artifact(2039851, "61d5d6df65a7a899c6f45948a37729bb84b84b4943750f8fa38c1042250ec664"),
    "turk_test.jsonl": Artifact(509811, "5cab7cfadd071a15e0956cc32e1d4d1bbe99750868b8f064d55cc569f5aefbd3"),
    "gsm8k_train.jsonl": Artifact(5115277, "dc6ad3b51fade577f7e0eda77a72cd59173e5510c4fef6cd70722eea52f149e9"),
    "gsm8k_test.jsonl": Artifact(917251, "a5287ca8aa668fbf272df8b882dafbd41a93fc4710bf09c411ab482955353468"),
    "spider_train.jsonl": Artifact(2377836, "84e4b5f717100871e61ae38589e8f3d44dafab33b69c2d3b8e5ee38224070ba4"),
    "spider_test.jsonl": Artifact(527336, "9462b996c4859bdd27836a46489f741a48f0e8100da1534542d7a44dbab78fe7"),
    "rotten_tomatoes_train.jsonl": Artifact(2488099, "83cc99291f73fc059bca0b9b2562747a690c462a3a374681870ba5ac8bc6cde4"),
    "rotten_tomatoes_test.jsonl": Artifact(312587, "adb522ad74f15238ac334274324deacebffbdd0266d892dac85a31bc51f12336"),
    "nq_open_train.jsonl": Artifact(1681867, "a95d112bfc9ba1cbca37511003ca3bc7c5623d4e3187591aeea20273a83a7d37"),
    "nq_open_test.jsonl": Artifact(389655, "77812745a8650ccf2b23e52dee0e8066b32189e48aaaccde37d08e0bb4ad0e6b"),
    "yelp_test.jsonl": Artifact(1833782, "a848b39ad7361a10d08740a8191c2e17f168b158c6b83730e704d521837f420b"),
    "hellaswag_test.jsonl": Artifact(2957082, "07835fa76c8bf513b5651cab8ee18f814331d49f9e6c6a63039be129c598c095"),
}
