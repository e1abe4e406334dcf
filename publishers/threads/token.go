package threads

import (
	"github.com/crieur/crieur/publishers/oauth"
)

// Provider is Threads' OAuth service (Threads › Get started › Get access
// tokens and permissions: the Authorization Window at
// threads.com/oauth/authorize, the code exchanged at POST
// graph.threads.net/oauth/access_token with the Threads app's id and
// secret; permissions threads_basic and threads_content_publish). There
// are no refresh tokens: the long-lived token is refreshed with itself
// (network: th_exchange_token, then th_refresh_token once a day old).
var Provider = network.Provider(oauth.Provider{
	Network:  "threads",
	AuthURL:  "https://threads.com/oauth/authorize",
	TokenURL: "https://graph.threads.net/oauth/access_token",
	Scopes:   []string{"threads_basic", "threads_content_publish"},
	Console:  "https://developers.facebook.com/apps/ (the Threads use case; its Threads app id and secret)",
})
