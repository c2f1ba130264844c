//! Dynamic SQL with the placeholders each backend wants. sqlx's `QueryBuilder` writes `?` for
//! the `Any` driver, which PostgreSQL refuses. `$N` works on SQLite too, but SQLite finds a
//! named parameter by scanning the statement's parameter list, and sqlx asks for every
//! parameter's name: a 5,000-parameter insert spent half of an upload there. So SQLite gets
//! positional `?`, PostgreSQL `$N`.

use std::fmt::Write;

use sqlx::any::AnyArguments;
use sqlx::query::{Query, QueryAs};
use sqlx::{Any, FromRow};

use crate::Backend;

/// A value bound to a placeholder.
#[derive(Debug, Clone)]
pub(crate) enum Param {
    Int(i64),
    Text(String),
    OptText(Option<String>),
    OptReal(Option<f64>),
}

impl From<i64> for Param {
    fn from(v: i64) -> Param {
        Param::Int(v)
    }
}

impl From<String> for Param {
    fn from(v: String) -> Param {
        Param::Text(v)
    }
}

impl From<Option<String>> for Param {
    fn from(v: Option<String>) -> Param {
        Param::OptText(v)
    }
}

impl From<Option<f64>> for Param {
    fn from(v: Option<f64>) -> Param {
        Param::OptReal(v)
    }
}

/// SQL text and its parameters, built together.
#[derive(Debug, Clone)]
pub(crate) struct Sql {
    text: String,
    params: Vec<Param>,
    positional: bool,
}

impl Sql {
    pub fn new(backend: Backend, text: &str) -> Sql {
        Sql {
            text: text.to_owned(),
            params: Vec::new(),
            positional: backend == Backend::Sqlite,
        }
    }

    pub fn push(&mut self, text: &str) -> &mut Sql {
        self.text.push_str(text);
        self
    }

    /// Appends the next placeholder (`?` or `$N`) and its value.
    pub fn bind(&mut self, value: impl Into<Param>) -> &mut Sql {
        self.params.push(value.into());
        if self.positional {
            self.text.push('?');
        } else {
            let _ = write!(self.text, "${}", self.params.len());
        }
        self
    }

    pub fn query(&self) -> Query<'_, Any, AnyArguments<'_>> {
        self.params
            .iter()
            .fold(sqlx::query(&self.text), |q, p| match p {
                Param::Int(v) => q.bind(*v),
                Param::Text(v) => q.bind(v.as_str()),
                Param::OptText(v) => q.bind(v.as_deref()),
                Param::OptReal(v) => q.bind(*v),
            })
    }

    pub fn query_as<T>(&self) -> QueryAs<'_, Any, T, AnyArguments<'_>>
    where
        T: for<'r> FromRow<'r, sqlx::any::AnyRow>,
    {
        self.params
            .iter()
            .fold(sqlx::query_as(&self.text), |q, p| match p {
                Param::Int(v) => q.bind(*v),
                Param::Text(v) => q.bind(v.as_str()),
                Param::OptText(v) => q.bind(v.as_deref()),
                Param::OptReal(v) => q.bind(*v),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_for_postgresql_and_positional_for_sqlite() {
        for (backend, text) in [
            (Backend::Postgres, "SELECT * FROM t WHERE a = $1 AND b = $2"),
            (Backend::Sqlite, "SELECT * FROM t WHERE a = ? AND b = ?"),
        ] {
            let mut sql = Sql::new(backend, "SELECT * FROM t WHERE a = ");
            sql.bind(1).push(" AND b = ").bind("x".to_owned());
            assert_eq!(sql.text, text);
            assert_eq!(sql.params.len(), 2);
        }
    }
}
