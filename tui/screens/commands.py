"""A palette provider over a fixed list of commands (a finding's actions, a row's): every
command when nothing is typed, the fuzzy matches when something is."""

from __future__ import annotations

from collections.abc import Callable

from textual.command import DiscoveryHit, Hit, Hits, Provider

Listed = tuple[str, Callable[[], object], str]  # text, callback, help


class ListedCommands(Provider):
    def commands(self) -> list[Listed]:
        raise NotImplementedError

    async def discover(self) -> Hits:
        for text, callback, help_text in self.commands():
            yield DiscoveryHit(text, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for text, callback, help_text in self.commands():
            score = matcher.match(f"{text} {help_text}")
            if score > 0:
                yield Hit(score, matcher.highlight(text), callback, help=help_text)
