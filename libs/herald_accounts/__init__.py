"""Connected accounts' credentials where services act for them: opened, renewed, stored."""

from herald_accounts.tokens import StoredTokens, TokenStore, UnreadableCredentials

__all__ = ["StoredTokens", "TokenStore", "UnreadableCredentials"]
