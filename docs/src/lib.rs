//! The Capstan book. Each page is a markdown file in `docs/`, included here so that every code
//! block in it compiles and runs as a doc test.

#[doc = include_str!("../../README.md")]
pub mod readme {}

#[doc = include_str!("../browser.md")]
pub mod browser {}

#[doc = include_str!("../security.md")]
pub mod security {}

/// The book: concepts, guides and reference, from `docs/book/`.
#[doc = include_str!("../book/README.md")]
pub mod book {
    /// How Capstan works.
    pub mod concepts {
        #[doc = include_str!("../book/concepts/capabilities.md")]
        pub mod capabilities {}

        #[doc = include_str!("../book/concepts/pipelining.md")]
        pub mod pipelining {}

        #[doc = include_str!("../book/concepts/streams.md")]
        pub mod streams {}

        #[doc = include_str!("../book/concepts/disposal.md")]
        pub mod disposal {}

        #[doc = include_str!("../book/concepts/errors.md")]
        pub mod errors {}
    }

    /// Step-by-step guides.
    pub mod guides {
        #[doc = include_str!("../book/guides/first-server.md")]
        pub mod first_server {}

        #[doc = include_str!("../book/guides/browsers.md")]
        pub mod browsers {}

        #[doc = include_str!("../book/guides/limits.md")]
        pub mod limits {}

        #[doc = include_str!("../book/guides/auth.md")]
        pub mod auth {}

        #[doc = include_str!("../book/guides/middleware.md")]
        pub mod middleware {}

        #[doc = include_str!("../book/guides/nginx.md")]
        pub mod nginx {}

        #[doc = include_str!("../book/guides/scaling.md")]
        pub mod scaling {}
    }

    /// The protocol and its encodings.
    pub mod reference {
        #[doc = include_str!("../book/reference/protocol.md")]
        pub mod protocol {}

        #[doc = include_str!("../book/reference/codecs.md")]
        pub mod codecs {}

        #[doc = include_str!("../expand.md")]
        pub mod expand {}
    }
}
