// The checkup-booking app: a browser app with no server side of its own. It signs members in
// with oidc-client-ts (authorization code + PKCE, tokens kept in sessionStorage), reads the
// member's profile from the provider's userinfo endpoint with the access token, and signs out
// through the provider's end-session endpoint. Its settings come from config.json, written by
// the host that serves it.
(async () => {
  const show = (id, visible) => { const element = document.getElementById(id); if (element) element.hidden = !visible; };
  const fail = (error) => {
    show('loading', false);
    const failure = document.getElementById('failure');
    failure.textContent = 'エラー: ' + (error && error.message ? error.message : String(error));
    failure.hidden = false;
  };

  try {
    const config = await (await fetch('config.json')).json();
    const here = new URL('./', window.location.href).href;
    const manager = new oidc.UserManager({
      authority: config.authority,
      client_id: config.clientId,
      redirect_uri: here + 'callback.html',
      post_logout_redirect_uri: here + 'signed-out.html',
      response_type: 'code',
      scope: 'openid profile',
      // The library's default, said out loud: the tokens end with the tab.
      userStore: new oidc.WebStorageStateStore({ store: window.sessionStorage }),
      // Without a refresh token the library would renew in a hidden iframe, which the provider
      // refuses to be framed in (frame-ancestors 'none'): the member signs in again instead.
      automaticSilentRenew: false,
    });

    const page = window.location.pathname;
    if (page.endsWith('/callback.html')) {
      await manager.signinRedirectCallback();
      window.location.replace(here);
      return;
    }

    if (page.endsWith('/signed-out.html')) {
      await manager.signoutRedirectCallback();
      return;
    }

    const user = await manager.getUser();
    show('loading', false);
    if (!user || user.expired) {
      show('signed-out-view', true);
      document.getElementById('sign-in').addEventListener('click', () => manager.signinRedirect().catch(fail));
      return;
    }

    document.getElementById('member-name').textContent = (user.profile.name || user.profile.preferred_username) + ' 様';
    const userinfo = await fetch(await manager.metadataService.getUserInfoEndpoint(), {
      headers: { Authorization: 'Bearer ' + user.access_token },
    });
    const check = document.getElementById('userinfo-check');
    if (userinfo.ok) {
      const claims = await userinfo.json();
      check.textContent = 'userinfo: 確認済み (sub: ' + claims.sub + ')';
    } else {
      check.textContent = 'userinfo: 拒否されました (' + userinfo.status + ')';
    }

    show('signed-in-view', true);
    document.getElementById('sign-out').addEventListener('click', () => manager.signoutRedirect().catch(fail));
  } catch (error) {
    fail(error);
  }
})();
