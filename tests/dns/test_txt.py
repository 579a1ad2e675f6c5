"""TXT values: split into DNS character-strings for the wire and joined back, whatever the text holds."""

from __future__ import annotations

import dns.rdata
import dns.rdataclass
import dns.rdatatype
from hypothesis import given
from hypothesis import strategies as st

from components.dns.backend import quote_txt, split_txt, unquote_txt


@given(st.text(max_size=1200))
def test_split_strings_fit_in_255_bytes_and_join_back(text: str) -> None:
    chunks = split_txt(text)
    assert all(len(chunk.encode("utf-8")) <= 255 for chunk in chunks)
    assert "".join(chunks) == text


@given(st.text(max_size=1200))
def test_quoted_text_unquotes_to_itself(text: str) -> None:
    assert unquote_txt(quote_txt(text)) == text


@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), max_size=600))
def test_quoted_text_is_what_a_dns_library_reads_and_writes(text: str) -> None:
    rdata = dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.TXT, quote_txt(text))
    assert b"".join(rdata.strings).decode("utf-8") == text
    assert unquote_txt(rdata.to_text()) == text  # dnspython writes non-ASCII as \DDD escapes


def test_a_character_is_never_cut_across_two_strings() -> None:
    assert split_txt("a" * 254 + "ä") == ["a" * 254, "ä"]


def test_empty_text_is_one_empty_string() -> None:
    assert split_txt("") == [""]
    assert quote_txt("") == '""'


def test_unquoted_content_is_returned_as_it_is() -> None:
    assert unquote_txt("v=spf1 mx -all") == "v=spf1 mx -all"
