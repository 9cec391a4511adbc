/* dp-wire.c: frames on the wire between processes and nodes
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "dp-error.h"
#include "dp-wire-private.h"

void
dp_frame_header_encode (const DpFrameHeader *header,
                        guint8               out[DP_FRAME_HEADER_SIZE])
{
  guint32 length = GUINT32_TO_LE (header->length);
  guint16 type_length = GUINT16_TO_LE (header->type_length);
  guint32 channel = GUINT32_TO_LE (header->channel);
  guint32 aux = GUINT32_TO_LE (header->aux);

  memcpy (out, &length, 4);
  out[4] = header->kind;
  out[5] = header->flags;
  memcpy (out + 6, &type_length, 2);
  memcpy (out + 8, &channel, 4);
  memcpy (out + 12, &aux, 4);
}

void
dp_frame_header_decode (const guint8   in[DP_FRAME_HEADER_SIZE],
                        DpFrameHeader *header)
{
  guint32 length, channel, aux;
  guint16 type_length;

  memcpy (&length, in, 4);
  memcpy (&type_length, in + 6, 2);
  memcpy (&channel, in + 8, 4);
  memcpy (&aux, in + 12, 4);

  header->length = GUINT32_FROM_LE (length);
  header->kind = in[4];
  header->flags = in[5];
  header->type_length = GUINT16_FROM_LE (type_length);
  header->channel = GUINT32_FROM_LE (channel);
  header->aux = GUINT32_FROM_LE (aux);
}

/* What can be said of a frame from its header alone. */
gboolean
dp_frame_header_check (const DpFrameHeader  *header,
                       guint32               limit,
                       GError              **error)
{
  if (header->length > limit)
    {
      g_set_error (error, DP_ERROR, DP_ERROR_PROTOCOL,
                   "frame of %u bytes is over the limit of %u", header->length, limit);
      return FALSE;
    }
  if (header->type_length > 0 &&
      dp_align8 (header->type_length) > header->length)
    {
      g_set_error (error, DP_ERROR, DP_ERROR_PROTOCOL,
                   "frame type string of %u bytes does not fit its %u-byte payload",
                   header->type_length, header->length);
      return FALSE;
    }
  if (header->kind == DP_FRAME_DATA &&
      (guint64) header->aux * sizeof (DpHandleEntry) + dp_align8 (header->type_length) > header->length)
    {
      g_set_error (error, DP_ERROR, DP_ERROR_PROTOCOL,
                   "frame claims %u handles that do not fit its payload", header->aux);
      return FALSE;
    }
  if (header->kind == DP_FRAME_DATA && header->type_length == 0)
    {
      g_set_error_literal (error, DP_ERROR, DP_ERROR_PROTOCOL, "data frame without a message type");
      return FALSE;
    }
  if ((header->flags & DP_FRAME_FLAG_CREDIT) && header->kind != DP_FRAME_DATA)
    {
      g_set_error (error, DP_ERROR, DP_ERROR_PROTOCOL,
                   "frame of kind %u asks for credit", header->kind);
      return FALSE;
    }
  if ((header->flags & DP_FRAME_FLAG_OVERDRAFT) && header->kind != DP_FRAME_DATA)
    {
      g_set_error (error, DP_ERROR, DP_ERROR_PROTOCOL,
                   "frame of kind %u claims to overdraw a window", header->kind);
      return FALSE;
    }
  if (header->kind == DP_FRAME_CREDIT &&
      (header->length != 0 || header->type_length != 0 || header->flags != 0 ||
       header->channel == 0 || header->aux == 0))
    {
      g_set_error (error, DP_ERROR, DP_ERROR_PROTOCOL,
                   "malformed credit frame (%u payload bytes, flags %u, channel %u, %u bytes of credit)",
                   header->length, header->flags, header->channel, header->aux);
      return FALSE;
    }
  return TRUE;
}

guint32
dp_close_code_encode (const GError *reason)
{
  if (reason == NULL || reason->domain != DP_ERROR || reason->code < 0)
    return 0;
  return (guint32) reason->code + 1;
}

/* The reason a CLOSE frame gives, or NULL if it gives none. @aux comes
 * from the peer: any value is taken, none is trusted. */
GError *
dp_close_reason_decode (const char *text,
                        guint32     aux)
{
  DpError code = DP_ERROR_PEER_DIED;

  if (text == NULL || text[0] == '\0')
    return NULL;

  switch (aux)
    {
    case DP_ERROR_CLOSED + 1:
    case DP_ERROR_PEER_DIED + 1:
    case DP_ERROR_NOT_FOUND + 1:
    case DP_ERROR_REFUSED + 1:
      code = aux - 1;
      break;

    default:
      /* None, one that says nothing about the channel here (the peer's
       * own KILLED, FAILED, …), or one this version does not know. */
      break;
    }

  return g_error_new_literal (DP_ERROR, code, text);
}

static gboolean
type_may_hold_handles (const GVariantType *type)
{
  const char *string = g_variant_type_peek_string (type);
  gsize length = g_variant_type_get_string_length (type);

  return memchr (string, 'h', length) != NULL || memchr (string, 'v', length) != NULL;
}

static gboolean
find_handle (GVariant *value)
{
  const GVariantType *type = g_variant_get_type (value);

  if (!type_may_hold_handles (type))
    return FALSE;
  if (g_variant_type_equal (type, G_VARIANT_TYPE_HANDLE))
    return TRUE;
  if (g_variant_type_equal (type, G_VARIANT_TYPE_VARIANT))
    {
      g_autoptr(GVariant) inner = g_variant_get_variant (value);
      return find_handle (inner);
    }
  if (g_variant_type_is_container (type))
    {
      gsize n = g_variant_n_children (value);
      for (gsize i = 0; i < n; i++)
        {
          g_autoptr(GVariant) child = g_variant_get_child_value (value, i);
          if (find_handle (child))
            return TRUE;
        }
    }
  return FALSE;
}

/* Whether @message names a channel or shared vector anywhere. */
gboolean
dp_message_has_handles (GVariant *message)
{
  return find_handle (message);
}

static GVariant *
map_handles (GVariant         *value,
             DpHandleMapFunc   map,
             gpointer          user_data,
             GError          **error)
{
  const GVariantType *type = g_variant_get_type (value);

  if (!type_may_hold_handles (type))
    return g_variant_ref (value);

  if (g_variant_type_equal (type, G_VARIANT_TYPE_HANDLE))
    {
      gint32 mapped;
      if (!map (g_variant_get_handle (value), &mapped, user_data, error))
        return NULL;
      return g_variant_ref_sink (g_variant_new_handle (mapped));
    }

  if (g_variant_type_equal (type, G_VARIANT_TYPE_VARIANT))
    {
      g_autoptr(GVariant) inner = g_variant_get_variant (value);
      g_autoptr(GVariant) mapped = map_handles (inner, map, user_data, error);
      if (mapped == NULL)
        return NULL;
      return g_variant_ref_sink (g_variant_new_variant (mapped));
    }

  if (g_variant_type_is_container (type))
    {
      gsize n = g_variant_n_children (value);
      g_autoptr(GPtrArray) children = g_ptr_array_new_full (n, (GDestroyNotify) g_variant_unref);

      for (gsize i = 0; i < n; i++)
        {
          g_autoptr(GVariant) child = g_variant_get_child_value (value, i);
          GVariant *mapped = map_handles (child, map, user_data, error);
          if (mapped == NULL)
            return NULL;
          g_ptr_array_add (children, mapped);
        }

      if (g_variant_type_is_maybe (type))
        return g_variant_ref_sink (g_variant_new_maybe (g_variant_type_element (type),
                                                        n > 0 ? children->pdata[0] : NULL));
      if (g_variant_type_is_array (type))
        return g_variant_ref_sink (g_variant_new_array (g_variant_type_element (type),
                                                        (GVariant **) children->pdata, n));
      if (g_variant_type_is_dict_entry (type))
        return g_variant_ref_sink (g_variant_new_dict_entry (children->pdata[0], children->pdata[1]));
      return g_variant_ref_sink (g_variant_new_tuple ((GVariant **) children->pdata, n));
    }

  return g_variant_ref (value);
}

GVariant *
dp_message_map_handles (GVariant         *message,
                        DpHandleMapFunc   map,
                        gpointer          user_data,
                        GError          **error)
{
  return map_handles (message, map, user_data, error);
}
