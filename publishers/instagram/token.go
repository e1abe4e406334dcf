package instagram

import (
	"github.com/crieur/crieur/publishers/oauth"
)

// Provider is Business Login for Instagram (Instagram Platform › Instagram
// API with Instagram Login › Business Login: the authorization window at
// www.instagram.com/oauth/authorize, the code exchanged at POST
// api.instagram.com/oauth/access_token with the Instagram app's id and
// secret; scopes instagram_business_basic and
// instagram_business_content_publish). No refresh tokens: the long-lived
// token is refreshed with itself (network: ig_exchange_token, then
// ig_refresh_token once a day old).
var Provider = network.Provider(oauth.Provider{
	Network:  "instagram",
	AuthURL:  "https://www.instagram.com/oauth/authorize",
	TokenURL: "https://api.instagram.com/oauth/access_token",
	Scopes:   []string{"instagram_business_basic", "instagram_business_content_publish"},
	Console:  "https://developers.facebook.com/apps/ (Instagram › API setup with Instagram login; its Instagram app id and secret)",
})
