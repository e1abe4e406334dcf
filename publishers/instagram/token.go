package instagram

import (
	"github.com/crieur/crieur/publishers/meta"
	"github.com/crieur/crieur/publishers/oauth"
)

// tokens is how Instagram (with Instagram Login) keeps its token: the
// login's short-lived token exchanged for a long-lived one
// (ig_exchange_token, 60 days) and refreshed with ig_refresh_token once a
// day old, both on graph.instagram.com (Instagram Platform › Reference ›
// Access Token, Refresh Access Token).
var tokens = meta.LongLived{Name: "instagram", Display: "Instagram", DefaultAPI: defaultAPI,
	Exchange: "ig_exchange_token", Refresh: "ig_refresh_token", Hint: loginHint}

// Provider is Business Login for Instagram (Instagram Platform › Instagram
// API with Instagram Login › Business Login: the authorization window at
// www.instagram.com/oauth/authorize, the code exchanged at POST
// api.instagram.com/oauth/access_token with the Instagram app's id and
// secret; scopes instagram_business_basic and
// instagram_business_content_publish). No refresh tokens: the long-lived
// token is refreshed with itself.
var Provider = tokens.Provider(oauth.Provider{
	Network:  "instagram",
	AuthURL:  "https://www.instagram.com/oauth/authorize",
	TokenURL: "https://api.instagram.com/oauth/access_token",
	Scopes:   []string{"instagram_business_basic", "instagram_business_content_publish"},
	Console:  "https://developers.facebook.com/apps/ (Instagram › API setup with Instagram login; its Instagram app id and secret)",
})
