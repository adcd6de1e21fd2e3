package jit

import "github.com/rosterhq/roster/internal/view"

// This file holds each preset's set-up guide: the steps in the vendor's own console, in its own
// words, for SAML, OpenID Connect and SCIM. The values to paste are named, not spelt: the
// admin API fills them in for one IdP. What feeds uniqueUserId here is what the preset's
// Mapping and Accepted names expect, and what feeds externalId is what SCIMMatchAdvice says
// (R1).

// Roster values to paste, under the vendor's label for the field.
func paste(name, label string) view.Value { return view.Value{Name: name, Label: label} }

func key(name, source string) view.Claim {
	return view.Claim{Name: name, Source: source, Feeds: FieldUniqueUserID, Required: true}
}

func claim(name, source, feeds string) view.Claim {
	return view.Claim{Name: name, Source: source, Feeds: feeds}
}

func externalID(source string) view.Claim {
	return view.Claim{Name: "externalId", Source: source, Feeds: "externalId", Required: true}
}

var entraGuide = view.Guide{
	SAML: []view.Step{
		{Title: "Create an enterprise application",
			Text: "In the Microsoft Entra admin center go to Identity › Applications › Enterprise applications, select New application › Create your own application, name it (for example Roster), choose “Integrate any other application you don't find in the gallery (Non-gallery)” and select Create."},
		{Title: "Basic SAML Configuration",
			Text: "Open Single sign-on, choose SAML, and select Edit in the Basic SAML Configuration section. Paste these values and select Save.",
			Paste: []view.Value{paste("sp_entity_id", "Identifier (Entity ID)"), paste("acs_url", "Reply URL (Assertion Consumer Service URL)"),
				paste("login_url", "Sign on URL (optional)")}},
		{Title: "Attributes & Claims",
			Text: "In the Attributes & Claims section select Edit, then Add new claim for each row: Name as shown, Namespace left empty, Source Attribute as shown. Then select Add a group claim, choose Groups assigned to the application, and under Advanced options customize the name of the group claim to groups. Keep the claim name userUniqueId exactly: it carries the object ID, the key SCIM must send too.",
			Claims: []view.Claim{key("userUniqueId", "user.objectid"), claim("firstName", "user.givenname", FieldFirstName),
				claim("lastName", "user.surname", FieldLastName), claim("email", "user.mail", FieldEmail),
				claim("groups", "Groups assigned to the application", FieldGroups)}},
		{Title: "SAML Certificates",
			Text:  "In the SAML Certificates section copy App Federation Metadata Url and paste it into Roster as the metadata URL (or download Federation Metadata XML and paste its contents).",
			Bring: []string{"saml.metadata_url", "saml.metadata_xml"}},
		{Title: "Assign people",
			Text: "In Users and groups select Add user/group and assign the people and groups who may sign in. Then run a test sign-in from Roster."},
	},
	OIDC: []view.Step{
		{Title: "Register an application",
			Text:  "In the Microsoft Entra admin center go to Identity › Applications › App registrations and select New registration. Name it, choose Accounts in this organizational directory only (Single tenant), set Redirect URI to the platform Web with this value, and select Register.",
			Paste: []view.Value{paste("redirect_uri", "Redirect URI (Web)")}},
		{Title: "Client secret and IDs",
			Text:  "In Certificates & secrets select New client secret and copy its Value (not the Secret ID) into Roster as the client secret. On Overview copy Application (client) ID as the client ID; the issuer is https://login.microsoftonline.com/<Directory (tenant) ID>/v2.0.",
			Bring: []string{"oidc.issuer", "oidc.client_id", "oidc.client_secret"}},
		{Title: "Token configuration",
			Text: "In Token configuration select Add optional claim, token type ID, and add email, family_name and given_name; then Add groups claim. The ID token already carries oid, the object ID Roster keys people by; do not key by sub, which Entra ID makes different for every application.",
			Claims: []view.Claim{key("oid", "Object ID (sent by default)"), claim("given_name", "given_name (optional claim)", FieldFirstName),
				claim("family_name", "family_name (optional claim)", FieldLastName), claim("email", "email (optional claim)", FieldEmail),
				claim("groups", "groups claim", FieldGroups)}},
	},
	SCIM: []view.Step{
		{Title: "Open Provisioning",
			Text: "Open the enterprise application of the single sign-on (Identity › Applications › Enterprise applications), go to Provisioning, select Get started or New configuration, and set Provisioning Mode to Automatic."},
		{Title: "Admin Credentials",
			Text:  "Under Admin Credentials paste these values, select Test Connection, then Save.",
			Paste: []view.Value{paste("scim_base_url", "Tenant URL"), paste("scim_token", "Secret Token")}},
		{Title: "Attribute mappings",
			Text:   "Under Mappings select Provision Microsoft Entra ID Users. Edit the row whose target attribute is externalId — its source is mailNickname by default — set Source attribute to objectId, and Save. Now SCIM sends the same key as single sign-on.",
			Claims: []view.Claim{externalID("objectId")}},
		{Title: "Start provisioning",
			Text: "In Users and groups assign who is provisioned, then set Provisioning Status to On and Save. Entra ID provisions in cycles of about 40 minutes; Provision on demand sends one person at once."},
	},
}

var oktaGuide = view.Guide{
	SAML: []view.Step{
		{Title: "Create an app integration",
			Text: "In the Okta Admin Console go to Applications › Applications, select Create App Integration, choose SAML 2.0 and select Next. Name the app (for example Roster) and select Next."},
		{Title: "SAML Settings",
			Text:  "Under SAML Settings paste these values, keep “Use this for Recipient URL and Destination URL” checked, set Name ID format to Persistent and Application username to Okta username.",
			Paste: []view.Value{paste("acs_url", "Single sign-on URL"), paste("sp_entity_id", "Audience URI (SP Entity ID)")}},
		{Title: "Attribute Statements",
			Text: "Under Attribute Statements add each row (Name format Unspecified); under Group Attribute Statements add groups with the filter Matches regex .* (or only the groups Roster should see). Select Next, then Finish.",
			Claims: []view.Claim{key("uniqueUserId", "user.id"), claim("firstName", "user.firstName", FieldFirstName),
				claim("lastName", "user.lastName", FieldLastName), claim("email", "user.email", FieldEmail),
				claim("groups", "Group Attribute Statement, Matches regex .*", FieldGroups)}},
		{Title: "Metadata URL",
			Text:  "On the app's Sign On tab copy the Metadata URL and paste it into Roster as the metadata URL.",
			Bring: []string{"saml.metadata_url"}},
		{Title: "Assignments",
			Text: "On the Assignments tab assign the people and groups who may sign in. Then run a test sign-in from Roster."},
	},
	OIDC: []view.Step{
		{Title: "Create an app integration",
			Text: "In the Okta Admin Console go to Applications › Applications, select Create App Integration, choose OIDC - OpenID Connect and Web Application, and select Next."},
		{Title: "Sign-in redirect URI",
			Text:  "Add this Sign-in redirect URI, keep the grant type Authorization Code, choose who may use the app under Assignments, and Save.",
			Paste: []view.Value{paste("redirect_uri", "Sign-in redirect URIs")}},
		{Title: "Client credentials",
			Text:  "On the General tab copy Client ID and Client secret into Roster. The issuer is your Okta domain (https://<your-okta-domain>), or an authorization server's issuer such as https://<your-okta-domain>/oauth2/default.",
			Bring: []string{"oidc.issuer", "oidc.client_id", "oidc.client_secret"}},
		{Title: "Groups claim",
			Text:   "On the Sign On tab, under OpenID Connect ID Token, edit Groups claim type Filter: groups, Matches regex .*. The ID token's sub is the Okta user id (user.id), which Roster uses as the key, as SCIM does.",
			Claims: []view.Claim{key("sub", "user.id (sent by default)"), claim("groups", "Groups claim filter, Matches regex .*", FieldGroups)}},
	},
	SCIM: []view.Step{
		{Title: "Enable SCIM",
			Text: "On the app's General tab select Edit under App Settings, set Provisioning to SCIM, and Save."},
		{Title: "SCIM connection",
			Text:  "On the Provisioning tab, under Integration, select Edit and paste these values. Set Unique identifier field for users to userName, tick Push New Users, Push Profile Updates and Push Groups, choose Authentication Mode HTTP Header and paste the token as its Bearer value. Select Test Connector Configuration, then Save.",
			Paste: []view.Value{paste("scim_base_url", "SCIM connector base URL"), paste("scim_token", "Authorization (HTTP Header, Bearer)")}},
		{Title: "To App",
			Text:   "Under Provisioning › To App enable Create Users, Update User Attributes and Deactivate Users. Okta sends the Okta user id (user.id) as externalId — the value SAML sends as uniqueUserId.",
			Claims: []view.Claim{externalID("user.id")}},
		{Title: "Assign",
			Text: "Assign people on the Assignments tab; Okta pushes them at once."},
	},
}

var pingOneGuide = view.Guide{
	SAML: []view.Step{
		{Title: "Add a SAML application",
			Text: "In the PingOne admin console go to Applications › Applications and select + (Add Application). Name it, choose SAML Application, and select Configure."},
		{Title: "SAML configuration",
			Text:  "Choose Manually Enter, paste these values, and Save.",
			Paste: []view.Value{paste("acs_url", "ACS URLs"), paste("sp_entity_id", "Entity ID")}},
		{Title: "Attribute Mappings",
			Text: "On the Attribute Mappings tab select Edit and add each row (attribute name ← PingOne mapping). Map saml_subject to User ID as well.",
			Claims: []view.Claim{key("userUniqueId", "User ID"), claim("firstName", "Given Name", FieldFirstName),
				claim("lastName", "Family Name", FieldLastName), claim("email", "Email Address", FieldEmail),
				claim("groups", "Group Names", FieldGroups)}},
		{Title: "Metadata and access",
			Text:  "On the Configuration tab copy IdP Metadata URL and paste it into Roster as the metadata URL. Turn the application on with its toggle, and grant the groups who may sign in on the Access tab.",
			Bring: []string{"saml.metadata_url"}},
	},
	OIDC: []view.Step{
		{Title: "Add an OIDC application",
			Text: "In the PingOne admin console go to Applications › Applications, select + (Add Application), name it, choose OIDC Web App, and Save."},
		{Title: "Configuration",
			Text:  "On the Configuration tab select Edit: Response Type Code, Grant Type Authorization Code, Token Endpoint Authentication Method Client Secret Basic, and add this Redirect URI. Save.",
			Paste: []view.Value{paste("redirect_uri", "Redirect URIs")}},
		{Title: "Scopes and claims",
			Text:   "On the Resources tab allow the scopes email and profile; on Attribute Mappings add groups ← Group Names. The ID token's sub is the PingOne User ID, which Roster uses as the key, as SCIM does once its externalId is mapped to User ID.",
			Claims: []view.Claim{key("sub", "User ID (sent by default)"), claim("groups", "Group Names", FieldGroups)}},
		{Title: "Credentials",
			Text:  "On the Configuration tab copy Client ID, Client Secret and Issuer into Roster, and turn the application on with its toggle.",
			Bring: []string{"oidc.issuer", "oidc.client_id", "oidc.client_secret"}},
	},
	SCIM: []view.Step{
		{Title: "SCIM connection",
			Text:  "Go to Integrations › Provisioning, select + › New Connection, choose Identity Store › SCIM Outbound, and select Configure. Paste these values, choose OAuth 2 Bearer Token authentication, Test Connection, and Save.",
			Paste: []view.Value{paste("scim_base_url", "SCIM BASE URL"), paste("scim_token", "Oauth Access Token")}},
		{Title: "Rule and attribute mapping",
			Text:   "Select + › New Rule, pick the connection and the groups to provision. Under Attribute Mapping map the PingOne User ID to externalId, the value single sign-on sends as userUniqueId. Turn the rule on.",
			Claims: []view.Claim{externalID("User ID")}},
	},
}

var googleGuide = view.Guide{
	SAML: []view.Step{
		{Title: "Add a custom SAML app",
			Text: "In the Google Admin console go to Apps › Web and mobile apps, select Add app › Add custom SAML app, name it (for example Roster) and select Continue."},
		{Title: "Google Identity Provider details",
			Text:  "Select Download Metadata (option 1) and paste the file's contents into Roster as the metadata XML. Select Continue.",
			Bring: []string{"saml.metadata_xml"}},
		{Title: "Service provider details",
			Text:  "Paste these values, set Name ID format to PERSISTENT, and select Continue.",
			Paste: []view.Value{paste("acs_url", "ACS URL"), paste("sp_entity_id", "Entity ID"), paste("login_url", "Start URL (optional)")}},
		{Title: "Attribute mapping",
			Text: "Select Add mapping for each row (Google Directory attribute → App attribute). A SAML app cannot send Google's own user id: map an immutable attribute such as Employee ID to uniqueUserId — not the email, which changes when a person is renamed. Under Group membership choose the groups to send, as app attribute groups. Select Finish.",
			Claims: []view.Claim{key("uniqueUserId", "Employee details › Employee ID"), claim("firstName", "Basic information › First name", FieldFirstName),
				claim("lastName", "Basic information › Last name", FieldLastName), claim("email", "Basic information › Primary email", FieldEmail),
				claim("groups", "Group membership", FieldGroups)}},
		{Title: "User access",
			Text: "Open the app, select User access, and set Service status to ON for everyone or for the organizational units and groups who may sign in. Then run a test sign-in from Roster."},
	},
	OIDC: []view.Step{
		{Title: "OAuth consent screen",
			Text: "In the Google Cloud console of your Workspace, go to APIs & Services › OAuth consent screen and choose User type Internal, so that only your organization's accounts can sign in."},
		{Title: "OAuth client",
			Text:  "Go to APIs & Services › Credentials, select Create credentials › OAuth client ID, choose Web application, add this Authorized redirect URI, and select Create.",
			Paste: []view.Value{paste("redirect_uri", "Authorized redirect URIs")}},
		{Title: "Credentials",
			Text: "Copy Client ID and Client secret into Roster; the issuer is https://accounts.google.com. The ID token's sub is Google's immutable user id, which Roster uses as the key. Google sends no groups claim.",
			Claims: []view.Claim{key("sub", "Google user id (sent by default)"), claim("given_name", "given_name", FieldFirstName),
				claim("family_name", "family_name", FieldLastName), claim("email", "email", FieldEmail)},
			Bring: []string{"oidc.issuer", "oidc.client_id", "oidc.client_secret"}},
	},
	SCIM: []view.Step{
		{Title: "No SCIM for custom apps",
			Text: "Google Workspace provisions users automatically only to apps of its own catalogue; a custom SAML app cannot push users to a SCIM endpoint. Use mode jit, so that people are created when they first sign in, and deactivate them in Roster when they leave."},
	},
}

var oneLoginGuide = view.Guide{
	SAML: []view.Step{
		{Title: "Add the SAML connector",
			Text: "In OneLogin administration go to Applications › Applications, select Add App, search for SAML Custom Connector (Advanced), select it, name it (for example Roster) and Save."},
		{Title: "Configuration",
			Text: "On the Configuration tab paste these values; for ACS (Consumer) URL Validator enter the ACS URL as a regular expression (^ and $ around it, dots escaped). Set SAML signature element to Assertion or Both, and Save.",
			Paste: []view.Value{paste("sp_entity_id", "Audience (EntityID)"), paste("acs_url", "Recipient"), paste("acs_url", "ACS (Consumer) URL"),
				paste("login_url", "Login URL")}},
		{Title: "Parameters",
			Text: "On the Parameters tab select Add parameter for each row, tick Include in SAML assertion (and Multi-value parameter for groups), and set its value as shown. Save.",
			Claims: []view.Claim{key("uniqueUserId", "OneLogin ID"), claim("firstName", "First Name", FieldFirstName),
				claim("lastName", "Last Name", FieldLastName), claim("email", "Email", FieldEmail),
				claim("groups", "User Roles (multi-value)", FieldGroups)}},
		{Title: "Issuer URL and access",
			Text:  "On the SSO tab copy Issuer URL — OneLogin's metadata URL — and paste it into Roster as the metadata URL. Grant access with roles on the Access tab.",
			Bring: []string{"saml.metadata_url"}},
	},
	OIDC: []view.Step{
		{Title: "Add the OIDC connector",
			Text: "In OneLogin administration go to Applications › Applications, select Add App, choose OpenId Connect (OIDC), name it and Save."},
		{Title: "Configuration",
			Text:  "On the Configuration tab paste this Redirect URI and Save.",
			Paste: []view.Value{paste("redirect_uri", "Redirect URI's")}},
		{Title: "SSO",
			Text:   "On the SSO tab set Application Type to Web and Token Endpoint Authentication Method to Basic, then copy Client ID, Client Secret and Issuer URL (https://<subdomain>.onelogin.com/oidc/2) into Roster. The ID token's sub is the OneLogin user id, the key Roster uses; on the Parameters tab add Groups to send a groups claim.",
			Claims: []view.Claim{key("sub", "OneLogin ID (sent by default)"), claim("groups", "Groups parameter", FieldGroups)},
			Bring:  []string{"oidc.issuer", "oidc.client_id", "oidc.client_secret"}},
	},
	SCIM: []view.Step{
		{Title: "Use the SCIM connector",
			Text: "For SAML with SCIM, add the app from the connector SCIM Provisioner with SAML (SCIM v2 Enterprise) instead, and configure its SAML as above."},
		{Title: "API connection",
			Text:  "On the Configuration tab paste these values and select Enable under API Connection.",
			Paste: []view.Value{paste("scim_base_url", "SCIM Base URL"), paste("scim_token", "SCIM Bearer Token")}},
		{Title: "SCIM JSON Template",
			Text:   "Edit the SCIM JSON Template so that externalId carries the OneLogin ID, the same value the SAML parameter uniqueUserId carries. Save.",
			Claims: []view.Claim{externalID("OneLogin ID")}},
		{Title: "Enable provisioning",
			Text: "On the Provisioning tab tick Enable provisioning and Save; people granted access are pushed."},
	},
}

var jumpCloudGuide = view.Guide{
	SAML: []view.Step{
		{Title: "Add a custom application",
			Text: "In the JumpCloud Admin Portal go to SSO Applications, select + Add New Application, choose Custom Application, tick Manage Single Sign-On (SSO) with Configure SSO with SAML, name it and Save."},
		{Title: "SSO settings",
			Text:  "On the SSO tab paste these values, give IdP Entity ID a unique name (for example JumpCloud), and set SAMLSubject NameID Format to persistent.",
			Paste: []view.Value{paste("sp_entity_id", "SP Entity ID"), paste("acs_url", "ACS URLs (Default URL)"), paste("login_url", "Login URL")}},
		{Title: "User attributes",
			Text: "Under Attributes › User Attribute Mapping add each row (Service Provider Attribute Name ← JumpCloud Attribute Name). Feed uniqueUserId from the JumpCloud user id — as a custom user attribute holding it if the list lacks it — never from the email or username, which change. Tick Include group attribute and name it groups.",
			Claims: []view.Claim{key("uniqueUserId", "the JumpCloud user id (a custom attribute holding it)"), claim("firstName", "firstname", FieldFirstName),
				claim("lastName", "lastname", FieldLastName), claim("email", "email", FieldEmail),
				claim("groups", "Include group attribute: groups", FieldGroups)}},
		{Title: "Metadata and groups",
			Text:  "Activate the application, then Export Metadata on the SSO tab and paste the file's contents into Roster as the metadata XML. Bind the user groups who may sign in on the User Groups tab.",
			Bring: []string{"saml.metadata_xml"}},
	},
	OIDC: []view.Step{
		{Title: "Add a custom application",
			Text: "In the JumpCloud Admin Portal go to SSO Applications, select + Add New Application, choose Custom Application, tick Manage Single Sign-On (SSO) with Configure SSO with OIDC, name it and Save."},
		{Title: "SSO settings",
			Text:   "On the SSO tab paste these values and choose Client Authentication Type Client Secret Basic. Under Attribute Mapping tick the standard scopes Email and Profile, add a uniqueUserId claim carrying the JumpCloud user id, and include the group attribute as groups.",
			Paste:  []view.Value{paste("redirect_uri", "Redirect URIs"), paste("login_url", "Login URL")},
			Claims: []view.Claim{key("uniqueUserId", "the JumpCloud user id (a custom attribute holding it)"), claim("groups", "group attribute", FieldGroups)}},
		{Title: "Credentials",
			Text:  "Activate the application and copy Client ID and Client Secret (shown once) into Roster; the issuer is https://oauth.id.jumpcloud.com/.",
			Bring: []string{"oidc.issuer", "oidc.client_id", "oidc.client_secret"}},
	},
	SCIM: []view.Step{
		{Title: "Identity Management",
			Text:  "On the application's Identity Management tab choose SCIM 2.0, paste these values (the token as a Bearer token), select Test Connection, and Activate.",
			Paste: []view.Value{paste("scim_base_url", "Base URL"), paste("scim_token", "Token Key")}},
		{Title: "Matching key",
			Text:   "Check that the connector sends the JumpCloud user id as externalId — the value single sign-on sends as uniqueUserId; if it cannot, set Roster's SCIM matching to userName and send the username as uniqueUserId from single sign-on.",
			Claims: []view.Claim{externalID("the JumpCloud user id")}},
	},
}

var keycloakGuide = view.Guide{
	SAML: []view.Step{
		{Title: "Create the client",
			Text:  "In the Keycloak admin console choose your realm, go to Clients › Create client, choose Client type SAML, paste the entity id as Client ID, select Next and Save.",
			Paste: []view.Value{paste("sp_entity_id", "Client ID")}},
		{Title: "Settings",
			Text: "On the Settings tab paste the ACS URL as a Valid redirect URI and, under Advanced, as Assertion Consumer Service POST Binding URL; set Name ID format to persistent. Under Keys turn Client signature required off, or import Roster's certificate from its SP metadata.",
			Paste: []view.Value{paste("acs_url", "Valid redirect URIs"), paste("acs_url", "Assertion Consumer Service POST Binding URL"),
				paste("sp_metadata_url", "SP metadata (for the certificate)")}},
		{Title: "Mappers",
			Text: "On Client scopes open the client's dedicated scope and select Add mapper › By configuration for each row: User Property for the first four (Property as shown, SAML Attribute Name as shown), Group list for groups with Full group path off.",
			Claims: []view.Claim{key("uniqueUserId", "User Property id"), claim("firstName", "User Property firstName", FieldFirstName),
				claim("lastName", "User Property lastName", FieldLastName), claim("email", "User Property email", FieldEmail),
				claim("groups", "Group list", FieldGroups)}},
		{Title: "Realm metadata",
			Text:  "Paste the realm's SAML metadata URL, https://<keycloak>/realms/<realm>/protocol/saml/descriptor, into Roster as the metadata URL.",
			Bring: []string{"saml.metadata_url"}},
	},
	OIDC: []view.Step{
		{Title: "Create the client",
			Text:  "In the Keycloak admin console choose your realm, go to Clients › Create client, choose OpenID Connect, enter a Client ID and select Next; turn Client authentication on, keep Standard flow, select Next, paste this Valid redirect URI and Save.",
			Paste: []view.Value{paste("redirect_uri", "Valid redirect URIs")}},
		{Title: "Credentials",
			Text:  "On the Credentials tab copy Client Secret into Roster, with the Client ID; the issuer is https://<keycloak>/realms/<realm>.",
			Bring: []string{"oidc.issuer", "oidc.client_id", "oidc.client_secret"}},
		{Title: "Groups mapper",
			Text:   "On Client scopes open the client's dedicated scope and select Add mapper › By configuration › Group Membership: Token Claim Name groups, Full group path off, Add to ID token on. The ID token's sub is the Keycloak user id, which Roster uses as the key.",
			Claims: []view.Claim{key("sub", "Keycloak user id (sent by default)"), claim("groups", "Group Membership mapper", FieldGroups)}},
	},
	SCIM: []view.Step{
		{Title: "No built-in SCIM client",
			Text:   "Keycloak does not push users by SCIM itself. With a SCIM extension, give it these values; choose Roster's externalId matching only if it sends the Keycloak user id as externalId, otherwise keep userName matching.",
			Paste:  []view.Value{paste("scim_base_url", "SCIM endpoint"), paste("scim_token", "Bearer token")},
			Claims: []view.Claim{externalID("Keycloak user id (if the extension sends it)")}},
	},
}

var genericGuide = view.Guide{
	SAML: []view.Step{
		{Title: "Register Roster as a service provider",
			Text:  "In your identity provider add a SAML 2.0 application (service provider). If it reads metadata, give it Roster's SP metadata URL; otherwise paste the entity id and the ACS URL (HTTP-POST binding).",
			Paste: []view.Value{paste("sp_metadata_url", "SP metadata URL"), paste("sp_entity_id", "Entity ID / Audience"), paste("acs_url", "ACS URL (HTTP-POST)")}},
		{Title: "Attributes",
			Text: "Send a persistent NameID and these attributes. uniqueUserId must be an immutable id of the person — not an email address — and the same value the SCIM connector sends as externalId (or as userName, with userName matching).",
			Claims: []view.Claim{key("uniqueUserId", "an immutable user id"), claim("firstName", "given name", FieldFirstName),
				claim("lastName", "family name", FieldLastName), claim("email", "email address", FieldEmail), claim("groups", "group names", FieldGroups)}},
		{Title: "IdP metadata",
			Text:  "Paste the identity provider's metadata URL or metadata XML into Roster, then run a test sign-in.",
			Bring: []string{"saml.metadata_url", "saml.metadata_xml"}},
	},
	OIDC: []view.Step{
		{Title: "Register a client",
			Text:  "In your OpenID provider register a confidential web client for the authorization code flow (Roster uses PKCE) with this redirect URI.",
			Paste: []view.Value{paste("redirect_uri", "Redirect URI")}},
		{Title: "Claims",
			Text: "Release a uniqueUserId claim carrying an immutable id of the person, and the standard claims. If a scope releases it, add that scope to Roster's scopes: with none, Roster asks for openid, profile and email only, and then falls back to sub, which warns.",
			Claims: []view.Claim{key("uniqueUserId", "an immutable user id"), claim("given_name", "given name", FieldFirstName),
				claim("family_name", "family name", FieldLastName), claim("email", "email address", FieldEmail), claim("groups", "group names", FieldGroups)}},
		{Title: "Credentials",
			Text:  "Paste the issuer, client id and client secret into Roster, then run a test sign-in.",
			Bring: []string{"oidc.issuer", "oidc.client_id", "oidc.client_secret"}},
	},
	SCIM: []view.Step{
		{Title: "SCIM connection",
			Text:  "Point the identity provider's SCIM 2.0 client at these values, with the token as a Bearer token.",
			Paste: []view.Value{paste("scim_base_url", "SCIM base URL"), paste("scim_token", "Bearer token")}},
		{Title: "Matching key",
			Text:   "Make the connector send, as externalId, the immutable id that single sign-on sends as uniqueUserId, and choose externalId matching; if it can send no such id, keep userName matching and have single sign-on send the userName as uniqueUserId.",
			Claims: []view.Claim{externalID("the immutable id SSO sends as uniqueUserId")}},
	},
}
