//! Accounts: users with a role and an area, password hashing, sessions (cookie for pages,
//! bearer token for API clients), lockout, and the one extractor every protected route uses.

pub mod accounts;
pub mod extract;
pub mod password;
pub mod role;
pub mod routes;
pub mod store;
pub mod token;
